package testenv

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Two builds of the same thing at once (two test packages starting their clusters) must
// compile it once: the second waits for the lock, then finds the result in place.
func TestEnsureBuildsOnceUnderConcurrency(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v1.99.0")
	b := &builder{p: newProgress(nil)}
	var builds atomic.Int32
	build := func(tmp string) error {
		builds.Add(1)
		time.Sleep(300 * time.Millisecond) // long enough for the other caller to queue up
		return os.WriteFile(filepath.Join(tmp, "kube-apiserver"), []byte("binary"), 0o755)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = b.ensure(context.Background(), dir, []string{"kube-apiserver"}, "test", build) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
	data, err := os.ReadFile(filepath.Join(dir, "kube-apiserver"))
	if err != nil || string(data) != "binary" {
		t.Errorf("result = %q, %v", data, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".build-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary build folders left behind: %v", leftovers)
	}
}
