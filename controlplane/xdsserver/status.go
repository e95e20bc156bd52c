package xdsserver

import (
	"slices"
	"time"
)

// PushStatus is /debug/push_status: the server's pushes so far.
type PushStatus struct {
	Pushes      uint64    `json:"pushes"`
	LastPush    time.Time `json:"lastPush,omitzero"`
	LastChange  Change    `json:"lastChange"`
	LastProxies int       `json:"lastProxies"`
	Connected   int       `json:"connectedProxies"`
	Queued      int       `json:"queuedProxies"`
}

// PushStatus returns a copy of the push status.
func (s *Server) PushStatus() PushStatus {
	s.statusMu.Lock()
	st := s.status
	s.statusMu.Unlock()
	s.mu.RLock()
	st.Connected = len(s.proxies)
	s.mu.RUnlock()
	st.Queued = s.queue.len()
	return st
}

// SyncStatus is one proxy's line of /debug/syncz.
type SyncStatus struct {
	ProxyID      string              `json:"proxy"`
	ProxyType    string              `json:"proxyType"`
	IstioVersion string              `json:"istioVersion,omitempty"`
	Streams      int                 `json:"streams"`
	Generations  uint64              `json:"generations"`
	Types        map[string]TypeSync `json:"types"`
}

// TypeSync is one type's accounting for one proxy: responses sent, ACKed and NACKed.
type TypeSync struct {
	Sent          uint64    `json:"sent"`
	Acked         uint64    `json:"acked"`
	Nacked        uint64    `json:"nacked"`
	SentVersion   string    `json:"sentVersion,omitempty"`
	AckedVersion  string    `json:"ackedVersion,omitempty"`
	LatestVersion string    `json:"latestVersion,omitempty"`
	Resources     int       `json:"resources"`
	BytesSent     int       `json:"bytesSent"`
	LastNack      string    `json:"lastNack,omitempty"`
	LastNackAt    time.Time `json:"lastNackAt,omitzero"`
	LastSentAt    time.Time `json:"lastSentAt,omitzero"`
	// Synced: the proxy ACKed the latest version of this type.
	Synced bool `json:"synced"`
}

// Syncz reports every connected proxy's accounting, sorted by proxy id.
func (s *Server) Syncz() []SyncStatus {
	s.mu.RLock()
	proxies := make([]*proxyState, 0, len(s.proxies))
	streams := map[*proxyState]int{}
	for _, p := range s.proxies {
		proxies = append(proxies, p)
		streams[p] = p.streams
	}
	s.mu.RUnlock()
	out := make([]SyncStatus, 0, len(proxies))
	for _, p := range proxies {
		p.mu.Lock()
		snap, gens := p.snap, p.pushes
		p.mu.Unlock()
		line := SyncStatus{
			ProxyID: p.key, ProxyType: string(p.proxy.ID.Type), IstioVersion: p.proxy.Meta.IstioVersion,
			Streams: streams[p], Generations: gens, Types: map[string]TypeSync{},
		}
		p.statsMu.Lock()
		for url, ts := range p.stats {
			latest := snap.GetVersion(url)
			line.Types[shortTypeURL(url)] = TypeSync{
				Sent: ts.sent, Acked: ts.acked, Nacked: ts.nacked,
				SentVersion: ts.sentVersion, AckedVersion: ts.ackedVersion, LatestVersion: latest,
				Resources: ts.resourcesSent, BytesSent: ts.bytesSent,
				LastNack: ts.lastNack, LastNackAt: ts.lastNackAt, LastSentAt: ts.lastSentAt,
				Synced: latest == "" || ts.ackedVersion == latest,
			}
		}
		p.statsMu.Unlock()
		out = append(out, line)
	}
	slices.SortFunc(out, func(a, b SyncStatus) int {
		switch {
		case a.ProxyID < b.ProxyID:
			return -1
		case a.ProxyID > b.ProxyID:
			return 1
		}
		return 0
	})
	return out
}
