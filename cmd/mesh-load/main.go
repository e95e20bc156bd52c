// Command mesh-load connects simulated proxies to an xDS server (meshd or istiod) and measures
// their first configuration and the convergence after each trigger. It only binds flags to
// package controlplane/loadtest.
//
//	mesh-load --xds-address 127.0.0.1:15010 --proxies 100 \
//	  --trigger 'kubectl apply -f vs-v2.yaml' --trigger 'kubectl scale deploy/nginx --replicas 3'
//	mesh-load seed --kubeconfig $KUBECONFIG   # the load: 1,000 Services, 10,000 ready endpoints
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshctl/meshctl/controlplane/loadtest"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 64
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "seed" {
		return seed(ctx, args[1:], stdout, stderr)
	}
	var (
		o        = loadtest.RunOptions{Options: loadtest.Options{Rate: loadtest.MaxRate, Namespaces: 10, Proxies: 10, IstioVersion: "1.31.1"}, Settle: 3 * time.Second}
		address  string
		triggers []string
		timeout  time.Duration
		logLevel string
	)
	fs := pflag.NewFlagSet("mesh-load", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&address, "xds-address", "127.0.0.1:15010", "plaintext ADS address of meshd or istiod")
	fs.IntVar(&o.Proxies, "proxies", o.Proxies, "simulated proxies")
	fs.IntVar(&o.Namespaces, "namespaces", o.Namespaces, "namespaces the proxies are spread over (load-0 ...)")
	fs.Float64Var(&o.Rate, "rate", o.Rate, "connections per second (istiod accepts at most 20)")
	fs.BoolVar(&o.Delta, "delta", false, "use delta xDS instead of state of the world")
	fs.StringVar(&o.IstioVersion, "istio-version", o.IstioVersion, "ISTIO_VERSION the proxies announce")
	fs.StringArrayVar(&triggers, "trigger", nil, "shell command making a change to measure (repeatable, run in order)")
	fs.DurationVar(&o.Settle, "settle", o.Settle, "quiet time after which a push counts as complete")
	fs.DurationVar(&o.TriggerTimeout, "trigger-timeout", time.Minute, "bound on each measurement; proxies with nothing new by then are reported unconverged")
	fs.StringVar(&o.MetricsURL, "metrics-url", "", "control plane's /metrics (e.g. http://127.0.0.1:15014/metrics) to sample RSS and CPU")
	fs.DurationVar(&timeout, "timeout", 10*time.Minute, "bound on the whole run")
	fs.StringVar(&logLevel, "log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintf(stderr, "mesh-load: --log-level %q: want debug, info, warn or error\n", logLevel)
		return exitUsage
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	for _, t := range triggers {
		o.Triggers = append(o.Triggers, loadtest.CommandTrigger(t, stderr))
	}
	o.Dial = func(context.Context) (*grpc.ClientConn, error) {
		return grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep, err := loadtest.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "mesh-load: %v\n", err)
		return exitError
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		fmt.Fprintf(stderr, "mesh-load: %v\n", err)
		return exitError
	}
	return exitOK
}

// seed creates the load the figures are measured against (docs/meshd.md).
func seed(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := loadtest.SeedOptions{Namespaces: 10, Services: 100, Endpoints: 10, Pods: true}
	var kubeconfig string
	fs := pflag.NewFlagSet("mesh-load seed", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster to fill")
	fs.IntVar(&o.Namespaces, "namespaces", o.Namespaces, "namespaces load-0 ... (the proxies' namespaces)")
	fs.IntVar(&o.Services, "services", o.Services, "Services per namespace")
	fs.IntVar(&o.Endpoints, "endpoints", o.Endpoints, "ready endpoints per Service")
	fs.BoolVar(&o.Pods, "pods", o.Pods, "create a Pod (held by a scheduling gate) behind each endpoint, for its labels")
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintf(stderr, "mesh-load seed: kubeconfig %q: %v\n", kubeconfig, err)
		return exitError
	}
	cfg.QPS, cfg.Burst = 200, 400 // thousands of creates; the default 5/s would take an hour
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mesh-load seed: %v\n", err)
		return exitError
	}
	start := time.Now()
	if err := loadtest.Seed(ctx, kube, o); err != nil {
		fmt.Fprintf(stderr, "mesh-load seed: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "seeded %d namespaces x %d Services x %d endpoints in %s\n", o.Namespaces, o.Services, o.Endpoints, time.Since(start).Round(time.Second))
	return exitOK
}
