// Package model is meshd's view of the cluster: informers on the Kubernetes and Istio kinds the
// mesh's configuration is made of, trimmed at the door to what translation needs (memory is a
// figure), published as an immutable Snapshot that translation reads without locks, and Change
// events that tell the xDS server what moved (not debounced: the server debounces).
//
// FromObjects builds the same Snapshot from plain objects (decoded YAML), for golden tests.
package model
