package security

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"k8s.io/client-go/kubernetes"

	"github.com/meshctl/meshctl/controlplane/ca"
	"github.com/meshctl/meshctl/controlplane/webhook"
	"github.com/meshctl/meshctl/meshapi"
)

// Security is meshd's security half: build it with New, Register the CSR service, Run it.
type Security struct {
	opts   Options
	client kubernetes.Interface

	current  *ca.Current
	loader   *ca.Loader
	service  *ca.Service
	serving  *ca.Serving
	roots    *ca.RootPublisher
	config   *webhook.ConfigWatcher
	injector *webhook.Injector
	patcher  *webhook.BundlePatcher

	leader      atomic.Bool
	webhookAddr chan net.Addr
	addr        atomic.Value // net.Addr
}

// New builds the components; nothing runs before Run.
func New(client kubernetes.Interface, opts Options) (*Security, error) {
	opts.Complete()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	caMetrics, err := ca.NewMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("security: metrics: %w", err)
	}
	hookMetrics, err := webhook.NewMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("security: metrics: %w", err)
	}
	log := opts.Log
	current := ca.NewCurrent()
	s := &Security{opts: opts, client: client, current: current, webhookAddr: make(chan net.Addr, 1)}
	s.loader = &ca.Loader{Client: client, Namespace: opts.Namespace, TrustDomain: opts.TrustDomain, Current: current, Metrics: caMetrics, Log: log}
	authn := &ca.Authenticator{Reviews: client.AuthenticationV1().TokenReviews(), Audience: meshapi.CAAudience}
	if opts.TokenCacheTTL >= 0 {
		authn.Cache = ca.NewTokenCache(opts.TokenCacheTTL, opts.TokenCacheSize, caMetrics)
	}
	s.service = &ca.Service{
		CA:            current,
		Authenticator: authn,
		TrustDomain:   opts.TrustDomain, TTL: opts.WorkloadCertTTL, MaxTTL: opts.MaxWorkloadCertTTL,
		Metrics: caMetrics, Log: log,
	}
	dns := append(meshapi.ControlPlaneDNSNames(opts.Revision, opts.Namespace), opts.ServingDNSNames...)
	s.serving = &ca.Serving{CA: current, Identity: ca.Identity{DNSNames: dns, IPs: opts.ServingIPs}, TTL: opts.ServingCertTTL, Log: log}
	s.roots = &ca.RootPublisher{Client: client, CA: current, Log: log}
	s.config = &webhook.ConfigWatcher{Client: client, Namespace: opts.Namespace, Revision: opts.Revision, Log: log}
	s.injector = &webhook.Injector{Config: s.config, Metrics: hookMetrics, Log: log}
	s.patcher = &webhook.BundlePatcher{
		Client: client, Namespace: opts.Namespace, Revision: opts.Revision,
		Bundle: func() []byte {
			if a := current.Get(); a != nil {
				return a.RootsPEM()
			}
			return nil
		},
		Changed: current.Changed,
		Serving: func() bool { return s.serving.Certificate() != nil && s.addr.Load() != nil },
		Log:     log,
	}
	return s, nil
}

// Register adds Istio's CSR service to meshd's gRPC server on DiscoveryPort.
func (s *Security) Register(srv *grpc.Server) { s.service.Register(srv) }

// TLSConfig serves meshd's certificate (for the 15012 gRPC server), renewed as it goes.
func (s *Security) TLSConfig() *tls.Config { return s.serving.TLSConfig() }

// CA is the authority in service (nil before the first is loaded), for SDS and tests.
func (s *Security) CA() *ca.Current { return s.current }

// IsLeader reports whether this replica runs the singletons now.
func (s *Security) IsLeader() bool { return s.leader.Load() }

// WebhookAddr is the webhook server's address once it listens (for a test that asked for port 0).
func (s *Security) WebhookAddr(ctx context.Context) (net.Addr, error) {
	select {
	case a := <-s.webhookAddr:
		s.webhookAddr <- a
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Ready says what is still missing before meshd can serve securely: a CA, a serving certificate, an
// injection configuration. nil when nothing is.
func (s *Security) Ready() error {
	if s.current.Get() == nil {
		return errors.New("no CA loaded yet")
	}
	if s.serving.Certificate() == nil {
		return errors.New("no serving certificate yet")
	}
	if s.opts.WebhookAddr != "-" {
		if _, _, err := s.config.Config(); err != nil {
			return err
		}
	}
	return nil
}

// Run runs every component until ctx ends, then waits for them all. A component that fails makes Run
// stop the others and return its error.
func (s *Security) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	start := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				mu.Unlock()
				cancel(err)
			}
		}()
	}
	start("CA secrets", s.loader.Run)
	start("serving certificate", s.serving.Run)
	start("leader election", s.elect)
	if s.opts.WebhookAddr != "-" {
		start("injection configuration", s.config.Run)
		start("webhook configurations", s.patcher.Run)
		start("webhook server", s.serveWebhooks)
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Security) serveWebhooks(ctx context.Context) error {
	validator := &webhook.Validator{Metrics: s.injector.Metrics, Log: s.opts.Log, Unsupported: s.opts.Unsupported}
	h := webhook.Handler(s.injector, validator, s.opts.Log)
	return webhook.Serve(ctx, s.opts.WebhookAddr, s.serving.TLSConfig(), h, s.opts.Log, func(a net.Addr) {
		s.addr.Store(a)
		s.webhookAddr <- a
	})
}

// runSingletons is what the leader runs: create the self-signed CA if there is none, then publish the
// roots, until leadership ends.
func (s *Security) runSingletons(ctx context.Context) {
	for {
		err := ca.EnsureSelfSigned(ctx, s.client, s.opts.Namespace, s.opts.TrustDomain, s.opts.Log)
		if err == nil {
			break
		}
		s.opts.Log.Error("CA: cannot create the self-signed root", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
	if err := s.roots.Run(ctx); err != nil && ctx.Err() == nil {
		s.opts.Log.Error("istio-ca-root-cert publisher stopped", "err", err)
	}
	<-ctx.Done() // the lease is held until then: the singletons' end is not leadership's
}
