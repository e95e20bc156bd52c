package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/controlplane/debug"
	"github.com/meshctl/meshctl/controlplane/metrics"
	"github.com/meshctl/meshctl/controlplane/security"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/controlplane/xdsserver"
	"github.com/meshctl/meshctl/procmem"
)

// Run serves until ctx ends, then stops every server gracefully (bounded by ShutdownTimeout).
// Listening errors are returned before anything is served.
func Run(ctx context.Context, opts Options, restConfig func() (*rest.Config, error), newBackend BackendFactory) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, opts.Version)
	if err != nil {
		return err
	}
	backend, err := newBackend(restConfig, m, log)
	if err != nil {
		return fmt.Errorf("build store and translator: %w", err)
	}
	xds, err := xdsserver.New(xdsserver.Options{
		Generator: backend.Generator, DebounceAfter: opts.DebounceAfter, DebounceMax: opts.DebounceMax,
		PushThrottle: opts.PushThrottle,
		Metrics:      m, Logger: log.With("component", "xds"),
	})
	if err != nil {
		return err
	}
	if backend.OnChange != nil {
		backend.OnChange(xds.Notify)
	}
	sec, err := newSecurity(opts, restConfig, reg, log)
	if err != nil {
		return err
	}

	l := &listeners{}
	defer l.closeAll()
	plain, err := l.listen(opts.XDSAddr, "xDS")
	if err != nil {
		return err
	}
	var secure net.Listener
	var secureOpt []grpc.ServerOption
	if opts.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("TLS certificate %s, key %s: %w", opts.TLSCertFile, opts.TLSKeyFile, err)
		}
		secureOpt = append(secureOpt, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})))
		if secure, err = l.listen(opts.SecureXDSAddr, "secure xDS"); err != nil {
			return err
		}
	} else if sec != nil && opts.SecureXDSAddr != "" {
		// The certificate of meshd's CA, renewed as it goes; handshakes fail until it is issued.
		secureOpt = append(secureOpt, grpc.Creds(credentials.NewTLS(sec.TLSConfig())))
		if secure, err = l.listen(opts.SecureXDSAddr, "secure xDS"); err != nil {
			return err
		}
	} else if opts.SecureXDSAddr != "" {
		log.Warn("no TLS certificate given: secure xDS port not served", "addr", opts.SecureXDSAddr)
	}
	monitoring, err := l.listen(opts.MonitoringAddr, "monitoring")
	if err != nil {
		return err
	}
	ready, err := l.listen(opts.ReadyAddr, "readiness")
	if err != nil {
		return err
	}

	notReady := func() error {
		if backend.HasSynced != nil && !backend.HasSynced() {
			return errors.New("informers have not synced")
		}
		if sec != nil {
			return sec.Ready()
		}
		return nil
	}
	monitor := &http.Server{Handler: debug.Monitoring(debug.Sources{
		Gatherer: reg, Version: opts.BuildInfo, Logger: log.With("component", "debug"),
		Syncz:      func() any { return xds.Syncz() },
		PushStatus: func() any { return xds.PushStatus() },
		ConfigDump: func(id string) (proto.Message, error) {
			d, err := xds.ConfigDump(id)
			if errors.Is(err, xdsserver.ErrUnknownProxy) {
				return nil, fmt.Errorf("%w: %w", debug.ErrNotFound, err)
			}
			return d, err
		},
		Configz: backend.Configz, Registryz: backend.Registryz, Endpointz: backend.Endpointz,
	}), ReadHeaderTimeout: 10 * time.Second}
	readiness := &http.Server{Handler: debug.Readiness(notReady), ReadHeaderTimeout: 10 * time.Second}

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	fail := func(err error) {
		if err != nil {
			errs <- err
			stopRun()
		}
	}
	if backend.Run != nil {
		wg.Go(func() {
			if err := backend.Run(runCtx); err != nil {
				fail(fmt.Errorf("store: %w", err))
			}
		})
	}
	if sec != nil {
		wg.Go(func() {
			if err := sec.Run(runCtx); err != nil {
				fail(fmt.Errorf("security: %w", err))
			}
		})
	}
	xdsDone := make(chan struct{})
	wg.Go(func() {
		defer close(xdsDone)
		_ = xds.Run(runCtx)
	})
	var grpcServers []*grpc.Server
	for _, s := range []struct {
		lis  net.Listener
		opts []grpc.ServerOption
	}{{plain, nil}, {secure, secureOpt}} {
		if s.lis == nil {
			continue
		}
		g := grpc.NewServer(append(append(grpcOptions(), xdsserver.ServerOption()), s.opts...)...)
		xds.Register(g)
		if sec != nil && s.lis == secure {
			sec.Register(g) // Istio's CSR service, on 15012 only: a workload proves itself by its token over TLS
		}
		grpcServers = append(grpcServers, g)
		lis := s.lis
		wg.Go(func() {
			if err := g.Serve(lis); err != nil {
				fail(fmt.Errorf("serve xDS on %s: %w", lis.Addr(), err))
			}
		})
	}
	for _, h := range []struct {
		srv *http.Server
		lis net.Listener
	}{{monitor, monitoring}, {readiness, ready}} {
		if h.lis == nil {
			continue
		}
		wg.Go(func() {
			if err := h.srv.Serve(h.lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("serve HTTP on %s: %w", h.lis.Addr(), err))
			}
		})
	}
	// Once ready, the pages only start-up touched (package init, the API descriptors, the
	// informers' first lists) leave the process: docs/meshd.md "At 0 proxies".
	wg.Go(func() {
		if n, err := procmem.ReleaseWhen(runCtx, func() bool { return notReady() == nil }); err != nil {
			log.Warn("releasing the program's startup pages", "err", err)
		} else if n > 0 {
			log.Debug("released the program's startup pages", "bytes", n)
		}
	})
	log.Info("meshd serving", "xds", addr(plain), "secureXds", addr(secure), "monitoring", addr(monitoring), "ready", addr(ready))

	<-runCtx.Done()
	log.Info("shutting down")
	// The xDS server ends its streams when its Run returns; GracefulStop then has nothing to wait for.
	<-xdsDone
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	for _, g := range grpcServers {
		stopped := make(chan struct{})
		go func() { g.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-shutdownCtx.Done():
			g.Stop()
			<-stopped
		}
	}
	for _, s := range []*http.Server{monitor, readiness} {
		if err := s.Shutdown(shutdownCtx); err != nil {
			s.Close()
		}
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// newSecurity builds the security half when the options ask for it.
func newSecurity(opts Options, restConfig func() (*rest.Config, error), reg prometheus.Registerer, log *slog.Logger) (*security.Security, error) {
	if opts.Security == nil {
		return nil, nil
	}
	cfg, err := restConfig()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("security: kubernetes client: %w", err)
	}
	so := *opts.Security
	so.Registerer = reg
	so.Log = log.With("component", "security")
	so.Unsupported = translate.Unsupported
	return security.New(client, so)
}

// grpcOptions are istiod's settings for proxy connections: many streams, large windows, and
// keepalives that find dead proxies. No buffer option: gRPC shares its write buffers and pools
// its read buffers per read already, and its pooled encode buffers kept peak RSS lower at 1,000
// proxies than plain allocations did (docs/meshd.md, "Figures").
func grpcOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(100000),
		grpc.InitialWindowSize(1 << 20),
		grpc.InitialConnWindowSize(1 << 20),
		grpc.MaxRecvMsgSize(4 << 20),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 15 * time.Second, PermitWithoutStream: true}),
	}
}

type listeners struct{ open []net.Listener }

func (l *listeners) listen(address, what string) (net.Listener, error) {
	if address == "" {
		return nil, nil
	}
	lis, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listen for %s on %s: %w", what, address, err)
	}
	l.open = append(l.open, lis)
	return lis, nil
}

// closeAll closes listeners a server never took (an error before serving); closing a served one
// again is harmless.
func (l *listeners) closeAll() {
	for _, lis := range l.open {
		_ = lis.Close()
	}
}

func addr(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}
