package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// startSleeper starts a process standing in for a cluster component.
func startSleeper(t *testing.T) (*exec.Cmd, string, <-chan struct{}) {
	t.Helper()
	bin, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	exe, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }() // reap, so a killed sleeper does not linger as a zombie
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	return cmd, exe, done
}

func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true binary")
	}
	return cmd.Process.Pid
}

func TestSweepStopsClustersOfDeadOwners(t *testing.T) {
	cache := Cache{Dir: t.TempDir()}
	component, exe, componentDone := startSleeper(t)
	stranger, _, strangerDone := startSleeper(t)

	stale := filepath.Join(cache.RunDir(), "test-stale")
	live := filepath.Join(cache.RunDir(), "test-live")
	for _, dir := range []string{stale, live} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := writeState(layout{stale}.state(), &clusterState{
		Owner: deadPID(t), OwnerStart: 1,
		Procs: []procState{
			{Name: Etcd, PID: component.Process.Pid, Exe: exe},
			// Same PID space, different binary: a reused PID that must not be killed.
			{Name: APIServer, PID: stranger.Process.Pid, Exe: "/nonexistent/kube-apiserver"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = writeState(layout{live}.state(), &clusterState{Owner: os.Getpid(), OwnerStart: processStartTime(os.Getpid())})
	if err != nil {
		t.Fatal(err)
	}

	Sweep(cache.Dir, nil)

	select {
	case <-componentDone:
	case <-time.After(10 * time.Second):
		t.Error("the stale cluster's component still runs after Sweep")
	}
	select {
	case <-strangerDone:
		t.Error("Sweep killed a process whose binary is not the recorded one")
	default:
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale cluster folder still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("Sweep removed the cluster of a live owner: %v", err)
	}
}

func TestDownLeavesForeignFoldersAlone(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Down(dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("Down removed a folder that holds no cluster: %v", err)
	}
	if err := Down(filepath.Join(dir, "absent"), nil); err != nil {
		t.Errorf("Down of an absent folder: %v", err)
	}
}
