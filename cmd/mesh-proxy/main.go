// Command mesh-proxy is the mesh's sidecar and gateway proxy (the injected istio-proxy container).
// It only wires the arguments the injection template and the gateway charts pass to package agent.
//
//	mesh-proxy proxy sidecar|router [flags]   run the proxy
//	mesh-proxy wait [--timeoutSeconds N]      wait until the proxy is ready (postStart hook)
//	mesh-proxy version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/proxy/agent"
)

// Exit codes, as docs/exit-codes.md lists them for every meshctl program.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 64
)

const usage = `usage:
  mesh-proxy proxy sidecar|router [flags]   run the proxy
  mesh-proxy wait [--timeoutSeconds N]      wait until the proxy is ready
  mesh-proxy version`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "proxy":
		return runProxy(ctx, args[1:], getenv, environ, stdout, stderr)
	case "wait":
		return runWait(ctx, args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, buildinfo.Get().Version)
		return exitOK
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "mesh-proxy: unknown command %q\n%s\n", args[0], usage)
	return exitUsage
}

func runProxy(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) int {
	o := &agent.Options{}
	fs := pflag.NewFlagSet("mesh-proxy proxy", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Domain, "domain", "", "the pod's DNS domain, NAMESPACE.svc.CLUSTER_DOMAIN")
	fs.StringVar(&o.ProxyLogLevel, "proxyLogLevel", "warning", "log level: trace, debug, info, warning, error, critical, off")
	fs.StringVar(&o.ComponentLogLevel, "proxyComponentLogLevel", "", "per-component levels (accepted; one level applies)")
	fs.StringVar(&o.LogOutputLevel, "log_output_level", "default:info", "the agent's levels, scope:level pairs")
	fs.BoolVar(&o.LogAsJSON, "log_as_json", false, "log JSON lines")
	fs.StringVar(&o.DiscoveryAddress, "discoveryAddress", "", "meshd's address (default: PROXY_CONFIG's discoveryAddress)")
	fs.StringVar(&o.ConfigPath, "config-path", "", "serve a static Envoy bootstrap file (static_resources) instead of asking meshd")
	fs.StringVar(&o.AccessLogFile, "accessLogFile", getenv("ACCESS_LOG_FILE"), "write access logs there (/dev/stdout: Istio's default format)")
	fs.StringVar(&o.AdminAddr, "adminAddress", "", "admin server address (default 127.0.0.1:15000; - for none)")
	fs.StringVar(&o.StatusAddr, "statusAddress", "", "status server address (default :15020; - for none)")
	fs.StringVar(&o.HealthAddr, "healthAddress", "", "readiness server address (default :15021; - for none)")
	fs.StringVar(&o.PrometheusAddr, "prometheusAddress", "", "metrics server address (default :15090; - for none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "mesh-proxy: %v\nRun 'mesh-proxy proxy --help' for usage.\n", err)
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "mesh-proxy: proxy takes one argument, sidecar or router (got %q)\n", strings.Join(fs.Args(), " "))
		return exitUsage
	}
	o.Role = meshapi.ProxyType(fs.Arg(0))
	if err := o.Complete(getenv, environ); err != nil {
		fmt.Fprintf(stderr, "mesh-proxy: %v\n", err)
		return exitUsage
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintf(stderr, "mesh-proxy: %v\n", err)
		return exitUsage
	}
	if err := agent.Run(ctx, o, buildinfo.Get().Version, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "mesh-proxy: %v\n", err)
		return exitError
	}
	return exitOK
}

func runWait(ctx context.Context, args []string, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mesh-proxy wait", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Int("timeoutSeconds", 60, "give up after this many seconds")
	url := fs.String("url", "http://localhost:"+meshapi.ProxyHealthPort.String()+"/healthz/ready", "readiness URL")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "mesh-proxy wait: %v\n", err)
		return exitUsage
	}
	if err := agent.Wait(ctx, *url, time.Duration(*timeout)*time.Second); err != nil {
		fmt.Fprintf(stderr, "mesh-proxy wait: %v\n", err)
		return exitError
	}
	return exitOK
}
