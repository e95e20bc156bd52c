package model

import "sync"

// memo holds what translation computes once per snapshot and shares between proxies that see the
// same things (e.g. the outbound configuration of one namespace's sidecars).
type memo struct{ m sync.Map }

type memoEntry struct {
	once sync.Once
	v    any
}

// Memo returns the value kept under key for this snapshot, computing it once: concurrent callers
// of the same key wait for the first one. The snapshot is immutable, so the value never goes stale.
func (s *Snapshot) Memo(key any, compute func() any) any { return s.memo.get(key, compute) }

// ConfigMemo is Memo for values that depend on configuration only, not on endpoints: snapshots
// that differ only in endpoints (EndpointSlices, pods, nodes, WorkloadEntries) share them, so an
// endpoint change costs only the endpoints.
func (s *Snapshot) ConfigMemo(key any, compute func() any) any { return s.config.get(key, compute) }

func (m *memo) get(key any, compute func() any) any {
	e, _ := m.m.LoadOrStore(key, &memoEntry{})
	me := e.(*memoEntry)
	me.once.Do(func() { me.v = compute() })
	return me.v
}
