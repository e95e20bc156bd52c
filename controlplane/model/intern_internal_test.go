package model

import (
	"runtime"
	"testing"
	"time"
)

// TestInternerShares: equal contents share one map, different ones do not, and a content no
// record holds is forgotten once collected.
func TestInternerShares(t *testing.T) {
	in := &interner[string]{}
	a := in.intern(map[string]string{"app": "web", "version": "v1"})
	b := in.intern(map[string]string{"version": "v1", "app": "web"})
	c := in.intern(map[string]string{"app": "web", "version": "v2"})
	d := in.intern(map[string]string{"app": "web=version", "": "v1"}) // what a careless key would confuse
	if a != b {
		t.Error("equal labels are two maps")
	}
	if a == c || a == d || c == d {
		t.Error("different labels share a map")
	}
	if in.intern(nil) != nil || in.intern(map[string]string{}) != nil {
		t.Error("no labels is not a nil map")
	}
	if in.size() != 3 {
		t.Errorf("%d contents held, want 3", in.size())
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(c)
	runtime.KeepAlive(d)
	// Cleanups run on their own goroutine after a collection.
	// The bound only guards a hang: on a loaded machine the cleanup goroutine may lag a second.
	for i := 0; in.size() > 0; i++ {
		if i == 1000 {
			t.Fatalf("%d contents still held after nothing refers to them", in.size())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if e := in.intern(map[string]string{"app": "web", "version": "v1"}); e.get()["version"] != "v1" || in.size() != 1 {
		t.Errorf("re-interned %v, %d held", e.get(), in.size())
	}
}
