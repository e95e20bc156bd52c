// Package loadtest drives an xDS server with simulated proxies: each one connects over ADS (state of
// the world or delta) with an Istio node id and metadata, asks for configuration as Envoy does
// (CDS, then EDS for the clusters received; LDS, then RDS for the routes the listeners name), ACKs
// every response, and records when it received what. It speaks only the xDS protocol, so it
// measures meshd and istiod alike.
package loadtest
