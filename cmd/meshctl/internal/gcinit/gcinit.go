// Package gcinit holds the garbage collector while Go initializes meshctl's packages; cmd/meshctl's main
// then decides how the process collects (see tuneGC there). main imports it for its side effect only.
//
// It exists because package main is always initialized last: by the time main's own init runs, client-go's
// scheme, helm's JSON schemas and the rest have allocated about 6 MB, and with Go's default GOGC=100 the
// collector has run during initialization, for about a quarter of a short command's CPU (measured: 18 ms
// → 24 ms for `manifest generate` when this moved into main). Go initializes packages in import-path order
// as soon as their imports are ready, so this package, which imports only os and runtime/debug, runs
// before those heavy ones.
package gcinit

import (
	"os"
	"runtime/debug"
)

// MemoryLimit bounds the heap while the collector is held. A command whose heap stays below it never
// collects (manifest generate, version, profile); one that grows past it (kube-inject, analyze of large
// inputs) collects from there as it would with GOGC=400 from the start. At 64 MiB instead, the later,
// larger collections of `analyze` on 50,000 objects cost 10-20% more CPU and 85 MiB more memory.
const MemoryLimit = 32 << 20

func init() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(MemoryLimit)
	}
}
