package agent

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// gcPercent is the collector's target when GOGC is not set: a node runs one proxy per pod, and a
// heap half the live data's size over it, not a whole one, keeps each proxy's resident memory
// down for a few percent more collector work (docs/bench-proxy.md).
const gcPercent = 50

// tuneRuntime applies the proxy's memory settings where the environment does not set them. The heap
// profile's sampling is off: its hash table of call stacks (1.4 MB reserved, a page touched per
// stack recorded) is resident memory a sidecar pays for a profile nobody takes; GODEBUG's
// memprofilerate turns it back on for /debug/pprof/heap.
func tuneRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if !godebugSets(getenv("GODEBUG"), "memprofilerate") {
		runtime.MemProfileRate = 0
	}
}

// godebugSets reports whether a GODEBUG value (key=value pairs, comma-separated) sets key.
func godebugSets(godebug, key string) bool {
	for kv := range strings.SplitSeq(godebug, ",") {
		if k, _, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == key {
			return true
		}
	}
	return false
}
