package xdsserver

import (
	"runtime"
	"testing"
	"weak"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
)

// A set's cached difference does not keep the set it was computed from alive: a pointer to it
// would chain every push's set to its predecessor, and keep every set since the start.
func TestChangedSinceDoesNotRetainOldSet(t *testing.T) {
	mc := newMarshalCache()
	build := func(eps int) *typeSet {
		t.Helper()
		ts, err := newTypeSet(resource.EndpointType, xdstest.Resources(50, 0, eps)[resource.EndpointType], mc)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	old := build(0)
	gone := weak.Make(old)
	next := build(1)
	changed, _ := next.changedSince(old)
	if len(changed) != 50 {
		t.Fatalf("%d resources changed, want 50", len(changed))
	}
	old = nil
	runtime.GC()
	if gone.Value() != nil {
		t.Error("the set a difference was computed from is still alive")
	}
	runtime.KeepAlive(next)
	// A set of the same content is answered from the cache.
	again, _ := next.changedSince(build(0))
	if len(again) != 50 || &again[0] != &changed[0] {
		t.Error("the difference from an equal set was computed again")
	}
}
