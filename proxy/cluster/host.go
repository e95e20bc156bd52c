package cluster

import (
	"sync/atomic"
)

// Host is one endpoint of a cluster. It outlives endpoint updates that keep its address, so its
// load and outlier history carry over.
type Host struct {
	Addr     string // host:port
	Weight   uint32
	Locality string
	Priority uint32 // locality failover level

	active    atomic.Int64 // requests in flight: least-request balancing
	rqTotal   atomic.Int64
	rqError   atomic.Int64
	cxActive  atomic.Int64
	c5xx      atomic.Int32 // consecutive 5xx (and connection failures)
	cGateway  atomic.Int32 // consecutive 502/503/504 (and connection failures)
	cLocal    atomic.Int32 // consecutive local-origin failures, when split from the answers
	ejected   atomic.Int64 // unix nanoseconds until which the host is ejected; 0: not ejected
	ejections atomic.Int32 // times ejected: the ejection time's multiplier
}

func newHost(addr string, weight uint32, locality string) *Host {
	if weight == 0 {
		weight = 1
	}
	return &Host{Addr: addr, Weight: weight, Locality: locality}
}

// Active is the number of requests in flight to the host.
func (h *Host) Active() int64 { return h.active.Load() }

// Ejected reports whether outlier detection has ejected the host.
func (h *Host) Ejected() bool { return h.ejected.Load() != 0 }

// HostStats is a host's counters, for the admin page.
type HostStats struct {
	Addr                            string
	Weight                          uint32
	Locality                        string
	Active, Total, Errors, CxActive int64
	Ejected                         bool
}

// Stats reads the host's counters.
func (h *Host) Stats() HostStats {
	return HostStats{Addr: h.Addr, Weight: h.Weight, Locality: h.Locality, Active: h.active.Load(),
		Total: h.rqTotal.Load(), Errors: h.rqError.Load(), CxActive: h.cxActive.Load(), Ejected: h.Ejected()}
}
