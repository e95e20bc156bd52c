package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The real node changes the host: routes, a bridge, iptables chains, sysctls, mounts, cgroups and
// a few fixed paths. Every change is written to a journal in /run *before* it is made, so that
// whoever stops the node — the test that started it, `make cluster-down`, or the next start after
// a crash — can undo exactly those changes, by name, and no others.

// hostRunDir holds the machine-wide lock and journal of the one real node a machine runs.
const hostRunDir = "/run/meshctl-testenv"

// hostJournal is the record of one real node's host changes.
type hostJournal struct {
	// ClusterDir is the state folder of the cluster the node belongs to.
	ClusterDir string `json:"clusterDir"`
	// Owner is the test process that started the node (0 for `make cluster-up`): when it is
	// gone, so is the node's right to the host.
	Owner      int    `json:"owner,omitempty"`
	OwnerStart uint64 `json:"ownerStart,omitempty"`
	// NodeDir holds the node's state (containerd, kubelet, CNI); every mount below it is undone.
	NodeDir string `json:"nodeDir"`
	// Sysctls are the values before the node started, restored afterwards.
	Sysctls []sysctlValue `json:"sysctls,omitempty"`
	// Routes are `ip route` specs added, deleted by the same spec.
	Routes [][]string `json:"routes,omitempty"`
	// Links are network interfaces created (the bridge).
	Links []string `json:"links,omitempty"`
	// Netfilter is the netfilter state before the node started: what iptables chains and nft
	// tables existed, so only the ones the node made are removed.
	Netfilter *netfilterBefore `json:"netfilter,omitempty"`
	// Paths are fixed host paths that did not exist before and are removed (after unmounting
	// whatever is under them).
	Paths []string `json:"paths,omitempty"`
	// CgroupsBefore are the folders of nodeCgroups (kubepods, k8s.io) in any hierarchy that existed
	// already: the others are removed.
	CgroupsBefore []string `json:"cgroupsBefore,omitempty"`
	// NetnsDirCreated: /run/netns did not exist before, and is removed once nobody's namespace is in it.
	NetnsDirCreated bool `json:"netnsDirCreated,omitempty"`
	// Procs are the node's processes (containerd, kubelet, kube-proxy), stopped by PID.
	Procs []procState `json:"procs,omitempty"`
}

type sysctlValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func journalPath() string { return filepath.Join(hostRunDir, "realnode.json") }

func readJournal() (*hostJournal, error) {
	data, err := os.ReadFile(journalPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j hostJournal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("read %s: %w", journalPath(), err)
	}
	return &j, nil
}

// save writes the journal whole (write to a temporary file, rename).
func (j *hostJournal) save() error {
	if err := os.MkdirAll(hostRunDir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := journalPath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, journalPath())
}

func removeJournal() error {
	err := os.Remove(journalPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// ownerAlive reports whether the node still has an owner: its test process, or for a detached
// node the cluster it belongs to.
func (j *hostJournal) ownerAlive() bool {
	if j.Owner != 0 {
		return processStartTime(j.Owner) == j.OwnerStart
	}
	_, ok := Running(j.ClusterDir)
	return ok
}
