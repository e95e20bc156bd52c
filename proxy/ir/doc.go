// Package ir is the proxy's own configuration: what it serves, independent of how it learnt it. The
// xDS client translates meshd's Envoy resources into a Config, tests and the benchmark write one
// directly, and the engine compiles it into lock-free lookup tables it swaps atomically.
//
// A Config and everything it points to is immutable once built: a new configuration is a new Config.
// The model follows Envoy's (listeners → filter chains → route tables → clusters → endpoints) narrowed
// to what docs/xds.md lets meshd send, so the translation is one-to-one and a reader of a config dump
// recognises it.
package ir
