package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// A machine runs one real node at a time: the kubelet and containerd use fixed host paths, and the
// node's bridge and address are fixed. The journal in /run is the lock's record: it names the
// node's owner. A start takes the node when there is no journal, or when the journal's owner is
// gone (a crashed test run): it then undoes that node's changes first. While a live test process
// owns it, the start waits (tests that need the node take turns); while a cluster started with
// `make cluster-up` owns it, the start fails with what to do.

// ErrNodeBusy is returned when the real node belongs to a cluster started with `make cluster-up`.
var ErrNodeBusy = errors.New("the machine's real node is in use")

// nodeLockPath is flock-ed only while the journal is read and written.
func nodeLockPath() string { return filepath.Join(hostRunDir, "realnode.lock") }

// acquireNode makes j the journal of the machine's real node. log hears once that it waits.
func acquireNode(ctx context.Context, j *hostJournal, p *progress) error {
	if err := os.MkdirAll(hostRunDir, 0o755); err != nil {
		return err
	}
	said := false
	for {
		done, err := tryAcquireNode(ctx, j, p, &said)
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the real node: %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func tryAcquireNode(ctx context.Context, j *hostJournal, p *progress, said *bool) (bool, error) {
	lock, err := lockFile(ctx, nodeLockPath(), p.w)
	if err != nil {
		return false, err
	}
	defer lock.unlock()
	old, err := readJournal()
	if err != nil {
		return false, err
	}
	if old != nil && old.ownerAlive() {
		if old.Owner == os.Getpid() {
			return false, fmt.Errorf("the real node belongs to another cluster of this process (%s): a test process has one cluster with the real node, testenv.GetRealNode's", old.ClusterDir)
		}
		if old.Owner == 0 {
			return false, fmt.Errorf("%w by %s: stop it with `make cluster-down`, or start without a real node", ErrNodeBusy, describeJournal(old))
		}
		if !*said {
			p.stepf("real node: waiting for %s to finish with it", describeJournal(old))
			*said = true
		}
		return false, nil
	}
	if old != nil {
		p.stepf("real node: undoing the host changes of %s, which is gone", describeJournal(old))
		if err := undoHost(old); err != nil {
			return false, fmt.Errorf("undo the host changes of a node left behind: %w", err)
		}
	}
	return true, j.save()
}

// releaseNode undoes the node's host changes and removes its journal, if the journal is j's.
func releaseNode(j *hostJournal) error {
	lock, err := lockFile(context.Background(), nodeLockPath(), io.Discard)
	if err != nil {
		return err
	}
	defer lock.unlock()
	cur, err := readJournal()
	if err != nil {
		return err
	}
	if cur == nil || cur.ClusterDir != j.ClusterDir {
		return nil // undone already, by a sweep
	}
	if err := undoHost(cur); err != nil {
		return err
	}
	return removeJournal()
}

// releaseNodeOf undoes the host changes of the node of the cluster in dir, if it has the node: for
// `down` and the sweep, which have no journal of their own in hand.
func releaseNodeOf(dir string) error {
	j, err := readJournal()
	if err != nil || j == nil || j.ClusterDir != dir {
		return err
	}
	return releaseNode(j)
}
