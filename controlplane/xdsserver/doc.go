// Package xdsserver serves Envoy v3 configuration over ADS, state of the world and delta, with
// go-control-plane's server. It owns only what Istio's pilot adds around the protocol: who the
// proxy is (Istio node ids and metadata), when to push (debounced, scoped by the change), what to
// push (a Generator, one immutable snapshot per proxy), and accounting (ACKs, NACKs, metrics).
//
// It does not import the model or the translator: it consumes them through Generator, and is fed
// changes with Notify by whoever owns the store.
package xdsserver
