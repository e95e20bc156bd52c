package server

import (
	"context"
	"log/slog"

	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/controlplane/metrics"
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

// NewBackend is where meshd's store and translator are plugged in.
//
// LEAD: replace the body with the model and the translator, along these lines:
//
//	cfg, err := restConfig()
//	store, err := model.NewStore(cfg, model.StoreOptions{...})   // count events with m.RegEvent(kind, event)
//	return &Backend{
//		Generator: translateGenerator{store},   // Generate(p) = translate.Generate(store.Snapshot(), (*translate.Proxy)(p))
//		                                        // Affects(p, c) = translate.Affects(store.Snapshot(), (*translate.Proxy)(p), model.Change(c))
//		Run:       store.Run,
//		HasSynced: store.HasSynced,
//		OnChange:  func(f func(xdsserver.Change)) { store.OnChange(func(c model.Change) { f(xdsserver.Change(c)) }) },
//		Configz: ..., Registryz: ..., Endpointz: ...,
//	}, nil
//
// Until then meshd runs with EmptyBackend: proxies connect and receive no resources.
func NewBackend(restConfig func() (*rest.Config, error), m *metrics.Metrics, log *slog.Logger) (*Backend, error) {
	log.Warn("no store or translator plugged in: proxies receive empty configuration")
	return EmptyBackend(), nil
}

// EmptyBackend serves no resources and is ready at once.
func EmptyBackend() *Backend {
	return &Backend{Generator: xdsserver.EmptyGenerator{}, HasSynced: func() bool { return true }}
}
