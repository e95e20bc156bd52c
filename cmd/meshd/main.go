// Command meshd is the mesh's control plane, deployed as istiod. It only binds flags to package
// controlplane/server.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/controlplane/server"
)

// Exit codes, as docs/exit-codes.md lists them for every meshctl program.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 64
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, server.NewBackend)
	stop()
	os.Exit(code)
}

type options struct {
	server.Options
	kubeconfig string
	logLevel   string
	version    bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, backend server.BackendFactory) int {
	o := options{Options: server.DefaultOptions()}
	fs := pflag.NewFlagSet("meshd", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; in-cluster configuration when empty")
	fs.StringVar(&o.XDSAddr, "xds-addr", o.XDSAddr, "plaintext xDS (ADS) address")
	fs.StringVar(&o.SecureXDSAddr, "secure-xds-addr", o.SecureXDSAddr, "TLS xDS (ADS) address, served when --tls-cert-file and --tls-key-file are given")
	fs.StringVar(&o.MonitoringAddr, "monitoring-addr", o.MonitoringAddr, "address of /metrics, /version and /debug/*")
	fs.StringVar(&o.ReadyAddr, "ready-addr", o.ReadyAddr, "address of /ready")
	fs.StringVar(&o.TLSCertFile, "tls-cert-file", "", "PEM certificate for the TLS xDS port")
	fs.StringVar(&o.TLSKeyFile, "tls-key-file", "", "PEM key for the TLS xDS port")
	fs.DurationVar(&o.DebounceAfter, "debounce-after", o.DebounceAfter, "quiet time after the last change before a push (PILOT_DEBOUNCE_AFTER)")
	fs.DurationVar(&o.DebounceMax, "debounce-max", o.DebounceMax, "longest wait for a push while changes keep coming (PILOT_DEBOUNCE_MAX)")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "bound on the graceful stop after SIGTERM")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "meshd: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if o.version {
		fmt.Fprintln(stdout, buildinfo.Get().Version)
		return exitOK
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintf(stderr, "meshd: --log-level %q: want debug, info, warn or error\n", o.logLevel)
		return exitUsage
	}
	o.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	o.Version = buildinfo.Get().Version
	o.BuildInfo = buildinfo.Get()
	if err := o.Validate(); err != nil {
		fmt.Fprintf(stderr, "meshd: %v\n", err)
		return exitUsage
	}
	restConfig := func() (*rest.Config, error) {
		cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("kubernetes client configuration: %w", err)
		}
		return cfg, nil
	}
	if err := server.Run(ctx, o.Options, restConfig, backend); err != nil {
		o.Logger.Error("meshd stopped", "error", err)
		return exitError
	}
	return exitOK
}
