package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/controlplane/jwks"
	"github.com/meshctl/meshctl/controlplane/metrics"
	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/controlplane/xdsserver"
)

// Backend is what the xDS server and the debug endpoints consume from the store and the
// translator. The seam of GLUE.md: model.Store and translate.Generate on one side, this on the other.
type Backend struct {
	// Generator builds each proxy's resources from the latest snapshot.
	Generator xdsserver.Generator
	// Run runs the store (informers) until ctx ends; nil when there is nothing to run.
	Run func(ctx context.Context) error
	// HasSynced gates /ready: true once the informers have synced.
	HasSynced func() bool
	// OnChange registers the server's change handler with the store (Store.OnChange); nil: no changes.
	OnChange func(func(xdsserver.Change))
	// Configz, Registryz and Endpointz back /debug/configz, /debug/registryz, /debug/endpointz.
	Configz, Registryz, Endpointz func() any
}

// BackendFactory builds the backend. restConfig loads the Kubernetes client configuration
// (--kubeconfig, else in-cluster) when the backend needs one.
type BackendFactory func(restConfig func() (*rest.Config, error), m *metrics.Metrics, log *slog.Logger) (*Backend, error)

// NewBackend runs meshd's model (informers on the API server) and translates its latest snapshot
// for each proxy, with the store's defaults (mesh ConfigMap istio in istio-system).
func NewBackend(restConfig func() (*rest.Config, error), m *metrics.Metrics, log *slog.Logger) (*Backend, error) {
	return NewModelBackend(model.StoreOptions{})(restConfig, m, log)
}

// NewModelBackend is NewBackend with the store's options given (system namespace, mesh ConfigMap).
func NewModelBackend(opts model.StoreOptions) BackendFactory {
	return func(restConfig func() (*rest.Config, error), m *metrics.Metrics, log *slog.Logger) (*Backend, error) {
		cfg, err := restConfig()
		if err != nil {
			return nil, err
		}
		opts.Log = log.With("component", "model")
		opts.OnEvent = m.RegEvent
		store, err := model.NewStore(cfg, opts)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		keys := &jwks.Fetcher{URIs: func() []string { return store.Snapshot().JWKSURIs() }, Set: store.SetJWKS,
			Log: log.With("component", "jwks")}
		store.OnChange(func(c model.Change) {
			if slices.Contains(c.Kinds, model.KindRequestAuthentication) {
				keys.Kick()
			}
			if slices.Contains(c.Kinds, model.KindAuthorizationPolicy) {
				for _, w := range translate.AuthorizationWarnings(store.Snapshot()) {
					log.Warn(w)
				}
			}
		})
		return &Backend{
			Generator: generator{translate.Generator{Snapshot: store.Snapshot}},
			Run: func(ctx context.Context) error {
				ctx, cancel := context.WithCancel(ctx)
				var wg sync.WaitGroup
				defer wg.Wait()
				defer cancel()
				wg.Add(1)
				// The key sets are fetched once the model has synced: before, it names none.
				go func() {
					defer wg.Done()
					if store.WaitForSync(ctx) == nil {
						_ = keys.Run(ctx)
					}
				}()
				return store.Run(ctx)
			},
			HasSynced: store.HasSynced,
			OnChange: func(f func(xdsserver.Change)) {
				store.OnChange(func(c model.Change) { f(xdsserver.Change(c)) })
			},
			Configz: func() any {
				c := configz(store.Snapshot())
				c["jwksErrors"] = keys.Errors()
				return c
			},
			Registryz: func() any { return store.Snapshot().Services },
			Endpointz: func() any { return endpointz(store.Snapshot()) },
		}, nil
	}
}

// generator adapts translate's Generator to the server's types (the same fields, converted).
type generator struct{ g translate.Generator }

func (g generator) Generate(p *xdsserver.Proxy) (map[string][]types.Resource, error) {
	return g.g.Generate((*translate.Proxy)(p))
}

func (g generator) Affects(p *xdsserver.Proxy, c xdsserver.Change) bool {
	return g.g.Affects((*translate.Proxy)(p), model.Change(c))
}

// configz is the Istio configuration of a snapshot, by kind, with what meshd enforces otherwise
// than the policies say (authorizationWarnings).
func configz(s *model.Snapshot) map[string]any {
	return map[string]any{
		"authorizationPolicies":  s.AuthorizationPolicies,
		"requestAuthentications": s.RequestAuthentications,
		"authorizationWarnings":  translate.AuthorizationWarnings(s),
		"version":                s.Version,
		"mesh":                   s.Mesh,
		"virtualServices":        s.VirtualServices,
		"destinationRules":       s.DestinationRules,
		"gateways":               s.Gateways,
		"serviceEntries":         s.ServiceEntries,
		"workloadEntries":        s.WorkloadEntries,
		"sidecars":               s.Sidecars,
	}
}

// serviceEndpoints is one service's endpoints in /debug/endpointz.
type serviceEndpoints struct {
	Hostname  string            `json:"hostname"`
	Namespace string            `json:"namespace"`
	Endpoints []*model.Endpoint `json:"endpoints"`
}

func endpointz(s *model.Snapshot) any {
	out := make([]serviceEndpoints, 0, len(s.Services))
	for _, svc := range s.Services {
		out = append(out, serviceEndpoints{svc.Hostname, svc.Namespace, s.Endpoints(svc)})
	}
	return out
}

// EmptyBackend serves no resources and is ready at once.
func EmptyBackend() *Backend {
	return &Backend{Generator: xdsserver.EmptyGenerator{}, HasSynced: func() bool { return true }}
}
