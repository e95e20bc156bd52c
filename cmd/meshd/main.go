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
	"github.com/meshctl/meshctl/controlplane/ca"
	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/security"
	"github.com/meshctl/meshctl/controlplane/server"
	"github.com/meshctl/meshctl/meshapi"
)

// Exit codes, as docs/exit-codes.md lists them for every meshctl program.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 64
)

func main() {
	setGCPercent()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

type options struct {
	server.Options
	clusterDomain string
	security      security.Options
	noSecurity    bool
	kubeconfig    string
	logLevel      string
	version       bool
}

// run parses args and serves; a nil backend is the model and translator (server.NewModelBackend).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, backend server.BackendFactory) int {
	o := options{Options: server.DefaultOptions()}
	fs := o.flags(stderr)
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
	if !o.noSecurity {
		o.Security = &o.security
	}
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
	if backend == nil {
		rev := o.security.Revision
		if rev == meshapi.DefaultRevision {
			rev = ""
		}
		backend = server.NewModelBackend(model.StoreOptions{SystemNamespace: o.security.Namespace, MeshConfigMap: meshapi.Revisioned(meshapi.MeshConfigMap, rev), ClusterDomain: o.clusterDomain})
	}
	if err := server.Run(ctx, o.Options, restConfig, backend); err != nil {
		o.Logger.Error("meshd stopped", "error", err)
		return exitError
	}
	return exitOK
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// flags binds o's fields, defaults taken from the environment the chart sets (POD_NAMESPACE, REVISION, POD_NAME).
func (o *options) flags(stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("meshd", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	o.security.Namespace = envOr("POD_NAMESPACE", meshapi.DefaultNamespace)
	o.security.Revision = os.Getenv("REVISION")
	o.security.Identity = os.Getenv("POD_NAME")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; in-cluster configuration when empty")
	fs.StringVar(&o.XDSAddr, "xds-addr", o.XDSAddr, "plaintext xDS (ADS) address")
	fs.StringVar(&o.SecureXDSAddr, "secure-xds-addr", o.SecureXDSAddr, "TLS xDS (ADS) address, served when --tls-cert-file and --tls-key-file are given")
	fs.StringVar(&o.MonitoringAddr, "monitoring-addr", o.MonitoringAddr, "address of /metrics, /version and /debug/*")
	fs.StringVar(&o.ReadyAddr, "ready-addr", o.ReadyAddr, "address of /ready")
	fs.StringVar(&o.TLSCertFile, "tls-cert-file", "", "PEM certificate for the TLS xDS port")
	fs.StringVar(&o.TLSKeyFile, "tls-key-file", "", "PEM key for the TLS xDS port")
	fs.DurationVar(&o.DebounceAfter, "debounce-after", o.DebounceAfter, "quiet time after the last change before a push (PILOT_DEBOUNCE_AFTER)")
	fs.DurationVar(&o.DebounceMax, "debounce-max", o.DebounceMax, "longest wait for a push while changes keep coming (PILOT_DEBOUNCE_MAX)")
	fs.IntVar(&o.PushThrottle, "push-throttle", o.PushThrottle, "proxies a push is sent to at once, each until it answers (PILOT_PUSH_THROTTLE; Istio's default is 100, meshd's 50: less memory held by a push's encoded responses)")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", o.ShutdownTimeout, "bound on the graceful stop after SIGTERM")
	fs.StringVar(&o.security.Namespace, "namespace", o.security.Namespace, "meshd's namespace: mesh ConfigMap, CA Secrets, Lease, injector ConfigMaps ($POD_NAMESPACE)")
	fs.StringVar(&o.security.Revision, "revision", o.security.Revision, "control plane revision; empty or default for the default one ($REVISION)")
	fs.StringVar(&o.security.TrustDomain, "trust-domain", meshapi.DefaultTrustDomain, "trust domain of issued workload identities")
	fs.DurationVar(&o.security.WorkloadCertTTL, "workload-cert-ttl", ca.DefaultWorkloadTTL, "default lifetime of a workload certificate")
	fs.StringVar(&o.security.WebhookAddr, "webhook-addr", ":"+meshapi.WebhookPort.String(), "address of the injection and validation webhooks; - serves none")
	fs.StringVar(&o.clusterDomain, "cluster-domain", "cluster.local", "the cluster's DNS domain (services' host names)")
	fs.BoolVar(&o.noSecurity, "no-security", false, "run no CA, CSR service or webhooks (xDS only)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}
