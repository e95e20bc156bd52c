package main

import (
	"bufio"
	"context"
	"maps"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/meshctl/meshctl/internal/testenv"
)

// crashHelperEnv makes TestCrashHelper start a cluster with the real node in the folder it names,
// say so, and wait to be killed: the crashed test run of TestRealNodeLeavesHostAsBefore.
const crashHelperEnv = "MESHCTL_TESTENV_CRASH_HELPER_DIR"

func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashHelperEnv)
	if dir == "" {
		t.Skip("runs only as TestRealNodeLeavesHostAsBefore's crashing child")
	}
	if _, err := testenv.Up(context.Background(), testenv.Config{Dir: dir, RealNode: true, Log: os.Stderr}); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	select {}
}

// crashNode runs a test process that starts a cluster with the real node, and kills it with SIGKILL
// once the cluster is ready, as `go test -timeout` or the OOM killer would: nothing of the node is
// undone, and its containers and shims outlive it.
func crashNode(t *testing.T, dir string) {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	child.Env = append(os.Environ(), crashHelperEnv+"="+dir)
	child.Stderr = os.Stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		if sc.Text() == "ready" {
			ready = true
			break
		}
	}
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	if !ready {
		t.Fatal("the crashing child never had its cluster ready")
	}
}

// stableSnapshot is a snapshot of the host that did not change for a second.
func stableSnapshot(t *testing.T) testenv.HostState {
	t.Helper()
	prev, err := testenv.SnapshotHost(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		time.Sleep(time.Second)
		cur, err := testenv.SnapshotHost(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if maps.Equal(prev, cur) {
			return cur
		}
		prev = cur
	}
	t.Fatal("the host's network state changed every second for ten seconds: another test is busy with it")
	return nil
}

// A real node leaves the host as it was: after a test process with a node crashed, and the next
// start undid what it left behind (containers and shims that outlived containerd included), and that
// node stopped too, the sysctls, routes, links, iptables (both families) and nft, mounts, cgroups and
// fixed host paths are what they were before.
func TestRealNodeLeavesHostAsBefore(t *testing.T) {
	if os.Getenv(testenv.SkipEnv) == "1" {
		t.Skipf("cluster test skipped: %s=1 is set", testenv.SkipEnv)
	}
	if os.Geteuid() != 0 {
		t.Skipf("real-node test skipped: %v (CI runs as root)", testenv.ErrNotRoot)
	}
	ctx := t.Context()
	before := stableSnapshot(t)
	crashed := t.TempDir()
	crashNode(t, crashed)
	cl, err := testenv.Up(ctx, testenv.Config{Dir: t.TempDir(), RealNode: true, Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := testenv.Down(crashed, os.Stderr); err != nil {
		t.Fatal(err)
	}

	// Other tests of the same run may change the host for a moment (a veth pair on its way into a
	// namespace of theirs): what the node left behind stays, so a difference must last to count.
	var after testenv.HostState
	for range 10 {
		if after, err = testenv.SnapshotHost(ctx); err != nil {
			t.Fatal(err)
		}
		if maps.Equal(before, after) {
			return
		}
		time.Sleep(time.Second)
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
