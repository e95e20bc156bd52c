package cluster

import (
	"context"
	"log/slog"
	"sync"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/tlsconf"
)

// Manager keeps the running clusters across configurations: a cluster whose settings stay the same
// keeps its connections, load and outlier state, and only its endpoints change (its configuration
// pointer stays the old one, equal but for the endpoints: requests read it without a lock).
type Manager struct {
	ctx      context.Context
	log      *slog.Logger
	mu       sync.Mutex
	clusters map[string]*Cluster
	// Secrets resolve the SDS names of clusters' TLS settings; set before the first Update (nil: a
	// cluster that names one warms).
	Secrets tlsconf.Secrets
}

// NewManager runs clusters until ctx ends.
func NewManager(ctx context.Context, log *slog.Logger) *Manager {
	return &Manager{ctx: ctx, log: log, clusters: map[string]*Cluster{}}
}

// Update brings the clusters to the configuration and returns them by name: a new map each time,
// never changed afterwards, for the caller's compiled configuration.
func (m *Manager) Update(cfgs map[string]*ir.Cluster) map[string]*Cluster {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[string]*Cluster, len(cfgs))
	for name, cfg := range cfgs {
		// A cluster some of whose secrets have arrived since (SDS) is built again.
		if c := m.clusters[name]; c != nil && sameSettings(c.cfg, cfg) && unresolved(cfg, m.Secrets) >= c.unresolved {
			c.setEndpoints(cfg.Endpoints)
			next[name] = c
			continue
		}
		next[name] = newCluster(m.ctx, cfg, m.log, m.Secrets)
	}
	for name, c := range m.clusters {
		if next[name] != c {
			c.close() // requests in flight finish on it
		}
	}
	m.clusters = next
	return next
}
