package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/meshctl/meshctl/internal/testenv"
)

func run(t *testing.T, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(strings.NewReader(""), &out, &errOut)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("meshctl-testenv %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
}

// killCluster kills every process of a cluster with SIGKILL, as a crash would: nothing of the
// real node's is undone.
func killCluster(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Procs []struct{ PID int } `json:"procs"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatal(err)
	}
	for _, p := range state.Procs {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
	}
}

// `up` with the real node and `down` leave the host as it was, also when a node's cluster
// crashed and the next start has to undo what it left behind: sysctls, routes, links, iptables
// (both families) and nft, mounts, cgroups and the fixed host paths are compared before and after.
func TestRealNodeLeavesHostAsBefore(t *testing.T) {
	if os.Getenv(testenv.SkipEnv) == "1" {
		t.Skipf("cluster test skipped: %s=1 is set", testenv.SkipEnv)
	}
	if os.Geteuid() != 0 {
		t.Skipf("real-node test skipped: %v (CI runs as root)", testenv.ErrNotRoot)
	}
	ctx := t.Context()
	before, err := testenv.SnapshotHost(ctx)
	if err != nil {
		t.Fatal(err)
	}
	crashed, second := t.TempDir(), t.TempDir()
	t.Cleanup(func() { run(t, "down", "--dir", second); run(t, "down", "--dir", crashed) })

	run(t, "up", "--dir", crashed)
	killCluster(t, crashed)
	// The next start finds the node's journal without a live owner and undoes its changes first,
	// containers and shims that outlived containerd included.
	run(t, "up", "--dir", second)
	run(t, "down", "--dir", second)
	run(t, "down", "--dir", crashed)

	after, err := testenv.SnapshotHost(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range slices.Sorted(func(yield func(string) bool) {
		for k := range before {
			if !yield(k) {
				return
			}
		}
	}) {
		if before[key] == after[key] {
			continue
		}
		diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(before[key]), B: difflib.SplitLines(after[key]),
			FromFile: key + " before", ToFile: key + " after", Context: 2,
		})
		t.Errorf("the host's %s changed:\n%s", key, diff)
	}
}
