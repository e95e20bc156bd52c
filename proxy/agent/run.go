package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/procmem"
	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/admin"
	"github.com/meshctl/meshctl/proxy/identity"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/stats"
	"github.com/meshctl/meshctl/proxy/xds"
)

// Run is the proxy's life: it serves until ctx ends (SIGTERM) or /quitquitquit, then drains for
// terminationDrainDuration. version is what the proxy reports.
func Run(ctx context.Context, o *Options, version string, stdout, stderr io.Writer) error {
	level := new(slog.LevelVar)
	level.Set(o.logLevel())
	var handler slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	if o.LogAsJSON {
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	}
	log := slog.New(handler).With("proxy", o.NodeID().String())
	if os.Getenv("GOMAXPROCS") == "" && o.ProxyConfig.Concurrency != nil && *o.ProxyConfig.Concurrency > 0 {
		runtime.GOMAXPROCS(*o.ProxyConfig.Concurrency)
	}
	tuneRuntime(os.Getenv)

	var accessLog io.Writer
	switch o.AccessLogFile {
	case "":
	case "/dev/stdout":
		accessLog = stdout
	case "/dev/stderr":
		accessLog = stderr
	default:
		f, err := os.OpenFile(o.AccessLogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("--accessLogFile: %w", err)
		}
		defer f.Close()
		accessLog = f
	}
	labels := o.Metadata.Labels
	recorder := stats.NewRecorder(stats.Workload{
		Name: firstNonEmpty(o.Metadata.WorkloadName, o.PodName), Namespace: o.PodNamespace,
		App: firstNonEmpty(labels["app"], "unknown"), Version: firstNonEmpty(labels["version"], "unknown"), Cluster: o.Metadata.ClusterID,
		CanonicalService:  firstNonEmpty(labels["service.istio.io/canonical-name"], labels["app"], o.Metadata.WorkloadName, "unknown"),
		CanonicalRevision: firstNonEmpty(labels["service.istio.io/canonical-revision"], labels["version"], "latest"),
	})

	ctx, quit := context.WithCancel(ctx)
	defer quit()
	// The listeners outlive ctx: they drain after it ends.
	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	// The identity, when the pod has the mesh's root mounted (injected pods do): its certificate
	// comes before the configuration, which names it.
	var id *identity.Agent
	if o.ConfigPath == "" {
		if _, err := os.Stat(o.RootCertFile); err == nil {
			id = identity.New(identity.Options{CAAddr: o.CAAddr, RootCertFile: o.RootCertFile, TokenFile: o.TokenFile,
				Log: log.With("component", "identity")})
		} else {
			log.Warn("no mesh root certificate: the proxy has no workload identity (mTLS chains and clusters stay warming)", "file", o.RootCertFile)
		}
	}
	lopts := listener.Options{
		Log: log, AccessLog: accesslog.NewLogger(accessLog), Observe: recorder.Observe,
		DrainPorts: []uint16{uint16(meshapi.ProxyInboundPort)},
	}
	if id != nil {
		lopts.Secrets = id
	}
	mgr := listener.New(serveCtx, lopts)
	defer mgr.Close()
	registry := prometheus.NewRegistry()
	registry.MustRegister(recorder, stats.Envoy{Proxy: mgr})

	node, err := o.node(version)
	if err != nil {
		return err
	}
	srv := &admin.Server{Proxy: mgr, Metrics: registry, Level: level, Quit: quit, Version: version,
		Probers: o.Probers, AppMetrics: o.AppMetrics}
	var client *xds.Client
	if o.ConfigPath != "" {
		st, err := xds.LoadBootstrap(o.ConfigPath)
		if err != nil {
			return fmt.Errorf("--config-path: %w", err)
		}
		cfg, err := st.Translate()
		if err != nil {
			return fmt.Errorf("--config-path %s: %w", o.ConfigPath, err)
		}
		if err := mgr.Apply(cfg); err != nil {
			return fmt.Errorf("--config-path %s: %w", o.ConfigPath, err)
		}
		srv.ConfigDump = func() ([]byte, error) { return xds.ConfigDump(st, node) }
	} else {
		client = &xds.Client{Addr: o.DiscoveryAddress, Node: node, Log: log, Apply: mgr.Apply}
		if err := discoveryTransport(client, o, id); err != nil {
			return err
		}
		srv.ConfigDump = func() ([]byte, error) { return xds.ConfigDump(client.Accepted(), node) }
	}

	servers := []struct {
		name, addr string
		h          http.Handler
	}{
		{"admin", o.AdminAddr, srv.Admin()},
		{"health", o.HealthAddr, srv.Health()},
		{"prometheus", o.PrometheusAddr, srv.Prometheus()},
		{"status", o.StatusAddr, srv.Status()},
	}
	var wg sync.WaitGroup
	var running []*http.Server
	for _, s := range servers {
		if s.addr == "" || s.addr == "-" {
			continue
		}
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			for _, r := range running {
				r.Close()
			}
			return fmt.Errorf("%s server: %w", s.name, err)
		}
		hs := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(handler, slog.LevelDebug)}
		running = append(running, hs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = hs.Serve(ln)
		}()
	}
	defer func() {
		for _, r := range running {
			r.Close()
		}
		wg.Wait()
	}()
	if id != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id.Run(ctx)
		}()
	}
	if client != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if id != nil {
				select { // the configuration names the certificate: ask for it once there is one
				case <-id.Ready():
				case <-ctx.Done():
					return
				}
			}
			_ = client.Run(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if n, err := procmem.ReleaseWhen(ctx, mgr.Applied); err != nil {
			log.Warn("releasing the program's startup pages", "err", err)
		} else if n > 0 {
			log.Debug("released the program's startup pages", "bytes", n)
		}
	}()
	log.Info("mesh-proxy started", "version", version, "role", o.Role, "discovery", o.DiscoveryAddress, "static", o.ConfigPath)
	<-ctx.Done()

	drain := time.Duration(o.ProxyConfig.TerminationDrainDuration)
	log.Info("draining", "for", drain, "connections", mgr.ActiveConnections())
	drainCtx, cancel := context.WithTimeout(context.Background(), drain)
	mgr.Drain(drainCtx)
	cancel()
	log.Info("stopped", "connections_cut", mgr.ActiveConnections())
	return nil
}

func (o *Options) logLevel() slog.Level {
	level := slog.LevelInfo
	if l, ok := admin.ParseLevel(o.ProxyLogLevel); ok {
		level = l
	}
	for _, part := range splitNonEmpty(o.LogOutputLevel) {
		if _, name, ok := strings.Cut(part, ":"); ok {
			if l, ok := admin.ParseLevel(name); ok && l < level {
				level = l
			}
		}
	}
	return level
}

// node is the xDS node the proxy presents.
func (o *Options) node(version string) (*corev3.Node, error) {
	md := o.Metadata
	md.IstioVersion = firstNonEmpty(md.IstioVersion, version)
	meta, err := structpb.NewStruct(md.Map())
	if err != nil {
		return nil, fmt.Errorf("node metadata: %w", err)
	}
	return &corev3.Node{
		Id:                   o.NodeID().String(),
		Cluster:              firstNonEmpty(md.WorkloadName, o.PodName) + "." + o.PodNamespace,
		Metadata:             meta,
		UserAgentName:        "mesh-proxy",
		UserAgentVersionType: &corev3.Node_UserAgentVersion{UserAgentVersion: version},
	}, nil
}

// discoveryTransport: TLS to meshd (15012), verified with the mesh's root, when the proxy has an
// identity; plaintext when the address names the plaintext port (15010). Without an identity the
// proxy cannot verify meshd: it dials the plaintext port of the same host instead.
func discoveryTransport(c *xds.Client, o *Options, id *identity.Agent) error {
	host, port, err := net.SplitHostPort(o.DiscoveryAddress)
	if err != nil {
		return fmt.Errorf("--discoveryAddress %q: %w", o.DiscoveryAddress, err)
	}
	if port == meshapi.DiscoveryPlaintextPort.String() {
		return nil
	}
	if id == nil {
		if port == meshapi.DiscoveryPort.String() {
			c.Addr = net.JoinHostPort(host, meshapi.DiscoveryPlaintextPort.String())
		}
		return nil
	}
	cfg, err := id.ClientTLS(o.DiscoveryAddress)
	if err != nil {
		return fmt.Errorf("xDS over TLS to %s: %w", o.DiscoveryAddress, err)
	}
	c.DialOptions = []grpc.DialOption{
		grpc.WithTransportCredentials(credentials.NewTLS(cfg)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
	}
	return nil
}

// Wait blocks until the proxy at url answers 200 (the postStart hook `mesh-proxy wait`), or timeout.
func Wait(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("the proxy did not become ready within " + strconv.Itoa(int(timeout.Seconds())) + "s")
		case <-time.After(200 * time.Millisecond):
		}
	}
}
