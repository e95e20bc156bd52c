// Package cluster is the upstream side of the proxy: a Cluster holds its endpoints (from EDS, static,
// DNS or the connection's original destination), picks one per request through its load balancer,
// enforces the circuit breakers, ejects failing endpoints (outlier detection) and owns the connection
// pool (an http.Transport) to them.
//
// Picking reads an immutable host set through an atomic pointer; the set is rebuilt, rarely, when
// endpoints change or an endpoint is ejected or returns.
package cluster
