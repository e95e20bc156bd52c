package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// clusterState is written to <dir>/state.json as soon as a cluster starts, and after every
// component starts, so that `down` or a later sweep can stop exactly these processes by PID.
type clusterState struct {
	Version    string      `json:"version"`
	Components []Component `json:"components"`
	Kubeconfig string      `json:"kubeconfig"`
	Server     string      `json:"server"`
	Ports      ports       `json:"ports"`
	// Owner is the test process whose cluster this is; when it is gone the cluster is stale.
	// Zero for a detached cluster (`make cluster-up`), which lives until `make cluster-down`.
	Owner      int         `json:"owner,omitempty"`
	OwnerStart uint64      `json:"ownerStart,omitempty"`
	Procs      []procState `json:"procs"`
	Ready      bool        `json:"ready"`
	// RealNode: the cluster has the machine's real node, whose host changes Down undoes.
	RealNode bool `json:"realNode,omitempty"`
}

func writeState(path string, s *clusterState) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readState(dir string) (*clusterState, error) {
	data, err := os.ReadFile(layout{dir}.state())
	if err != nil {
		return nil, err
	}
	var s clusterState
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w", layout{dir}.state(), err)
	}
	return &s, nil
}

// ownerAlive reports whether the process that owns a cluster still runs.
func (s *clusterState) ownerAlive() bool {
	if s.Owner == 0 {
		return true // detached: only `down` ends it
	}
	if s.OwnerStart != 0 {
		return processStartTime(s.Owner) == s.OwnerStart
	}
	return syscall.Kill(s.Owner, 0) == nil
}

// running reports whether the cluster's apiserver is still up.
func (s *clusterState) running() bool {
	for _, p := range s.Procs {
		if p.Name == APIServer {
			return s.Ready && isProcess(p.PID, p.Exe)
		}
	}
	return false
}

// Running reports whether dir holds a started cluster whose apiserver still runs, and its
// kubeconfig.
func Running(dir string) (kubeconfig string, ok bool) {
	s, err := readState(dir)
	if err != nil || !s.running() {
		return "", false
	}
	return s.Kubeconfig, true
}

// stopAll stops recorded processes: KWOK and the controllers first, all at once, then the
// apiserver, then etcd, so nothing logs errors about a store that vanished under it.
func stopAll(procs []procState, grace time.Duration) error {
	var errs []error
	var mu sync.Mutex
	stopGroup := func(match func(Component) bool) {
		var wg sync.WaitGroup
		for _, p := range procs {
			if !match(p.Name) {
				continue
			}
			wg.Go(func() {
				if err := stopRecorded(p, grace); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	stopGroup(func(c Component) bool { return c != APIServer && c != Etcd })
	stopGroup(func(c Component) bool { return c == APIServer })
	stopGroup(func(c Component) bool { return c == Etcd })
	return errors.Join(errs...)
}

// Down stops the cluster recorded in dir, by PID, and removes dir. A dir without a state file
// is left alone (it is not a cluster's), and an absent dir is not an error.
func Down(dir string, log io.Writer) error {
	p := newProgress(log)
	s, err := readState(dir)
	if errors.Is(err, fs.ErrNotExist) {
		p.stepf("no cluster in %s", dir)
		return nil
	}
	if err != nil {
		return err
	}
	if err := stopAll(s.Procs, 5*time.Second); err != nil {
		return fmt.Errorf("stop cluster in %s: %w", dir, err)
	}
	p.stepf("stopped %d processes of the cluster in %s", len(s.Procs), dir)
	if err := releaseNodeOf(dir); err != nil {
		return fmt.Errorf("undo the real node's host changes: %w", err)
	}
	if err := removeAllUnmounted(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}

// Sweep stops and removes clusters in cacheDir/run whose owning test process is gone: those of
// a test binary that panicked or was killed by `go test -timeout` (its components already died
// with it on Linux; this removes their files and whatever survived elsewhere).
func Sweep(cacheDir string, log io.Writer) {
	run := Cache{Dir: cacheDir}.RunDir()
	entries, err := os.ReadDir(run)
	if err != nil {
		return
	}
	p := newProgress(log)
	for _, e := range entries {
		dir := filepath.Join(run, e.Name())
		if !e.IsDir() {
			continue
		}
		s, err := readState(dir)
		if err != nil {
			// No state yet: a cluster being set up right now, or one whose owner died before
			// writing it. Only the second is old.
			if info, serr := os.Stat(dir); serr == nil && time.Since(info.ModTime()) > time.Hour {
				os.RemoveAll(dir)
			}
			continue
		}
		if s.ownerAlive() {
			continue
		}
		p.stepf("removing the stale cluster of process %d in %s", s.Owner, dir)
		_ = stopAll(s.Procs, 2*time.Second)
		if err := releaseNodeOf(dir); err != nil {
			p.stepf("undo the host changes of its real node: %v", err)
			continue
		}
		_ = removeAllUnmounted(dir)
	}
}
