package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/gcinit"
)

// gcSettings reads the GC percent and the memory limit without changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1) // a negative limit only reads it
}

// TestTuneGC: the collector is off, bounded by the memory limit, until the first collection; from then on
// it runs with gcPercent and no limit. GOGC or GOMEMLIMIT in the environment leave everything alone.
func TestTuneGC(t *testing.T) {
	percent, limit := gcSettings()
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	tuneGC(func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	})
	if p, l := gcSettings(); p != 100 || l != math.MaxInt64 {
		t.Fatalf("with GOGC set: percent %d, limit %d; want them untouched", p, l)
	}

	tuneGC(func(string) string { return "" })
	if p, l := gcSettings(); p != -1 || l != gcinit.MemoryLimit {
		t.Fatalf("before the first collection: percent %d, limit %d; want -1 and %d", p, l, gcinit.MemoryLimit)
	}
	// The switch runs in a cleanup after a collection; collect until it has run.
	for {
		runtime.GC()
		if p, _ := gcSettings(); p != -1 {
			break
		}
		if t.Context().Err() != nil {
			t.Fatal("the collector never switched to gcPercent")
		}
		runtime.Gosched()
	}
	if p, l := gcSettings(); p != gcPercent || l != math.MaxInt64 {
		t.Errorf("after the first collection: percent %d, limit %d; want %d and no limit", p, l, gcPercent)
	}
}
