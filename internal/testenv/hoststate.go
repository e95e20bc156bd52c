package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// HostState is what a real node may change on the host, one text per aspect ("sysctls", "routes",
// "iptables", "ip6tables", "nft", "mounts", "links", "cgroups", "paths"), for a test to compare
// before and after a node ran.
type HostState map[string]string

// hostStateSysctls are compared besides nodeSysctls: forwarding, the bridge's netfilter hooks,
// route_localnet and conntrack's table size, which kube-proxy could change.
var hostStateSysctlPrefixes = []string{"net.ipv4.conf.all.", "net.ipv4.conf.default.", "net.bridge.", "net.ipv6.conf.all.forwarding", "net.netfilter.nf_conntrack_max"}

// SnapshotHost captures the host's state at a moment when no real node runs: it waits while a test
// process has the machine's node, undoes the changes of one left behind, and fails when a cluster
// started with `make cluster-up` has it.
func SnapshotHost(ctx context.Context) (HostState, error) {
	if err := os.MkdirAll(hostRunDir, 0o755); err != nil {
		return nil, err
	}
	p := newProgress(os.Stderr)
	for {
		lock, err := lockFile(ctx, nodeLockPath(), p.w)
		if err != nil {
			return nil, err
		}
		j, err := readJournal()
		switch {
		case err != nil:
		case j == nil:
			s, err := captureHost()
			lock.unlock()
			return s, err
		case !j.ownerAlive():
			if err = undoHost(j); err == nil {
				err = removeJournal()
			}
		case j.Owner == 0:
			err = fmt.Errorf("%w by %s", ErrNodeBusy, describeJournal(j))
		}
		lock.unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

var (
	counters   = regexp.MustCompile(`\[\d+:\d+\]`)
	nftCounter = regexp.MustCompile(`counter packets \d+ bytes \d+`)
)

func captureHost() (HostState, error) {
	s := HostState{}
	var sysctls []string
	for _, name := range nodeSysctls {
		v, err := readSysctl(name)
		if err != nil {
			return nil, err
		}
		sysctls = append(sysctls, name+" = "+v)
	}
	_ = filepath.WalkDir("/proc/sys/net", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		name := strings.ReplaceAll(strings.TrimPrefix(path, "/proc/sys/"), "/", ".")
		for _, prefix := range hostStateSysctlPrefixes {
			if strings.HasPrefix(name, prefix) {
				if v, err := readSysctl(name); err == nil {
					sysctls = append(sysctls, name+" = "+v)
				}
			}
		}
		return nil
	})
	slices.Sort(sysctls)
	s["sysctls"] = strings.Join(sysctls, "\n")
	commands := map[string][]string{
		"routes":  {"ip", "route", "show", "table", "all"},
		"routes6": {"ip", "-6", "route", "show", "table", "all"},
		"links":   {"ip", "-o", "-br", "link", "show"},
	}
	for _, fam := range ipFamilies {
		commands[fam.iptables] = []string{fam.save}
	}
	if fileExists("/usr/sbin/nft") {
		commands["nft"] = []string{"nft", "list", "ruleset"}
	}
	for key, cmd := range commands {
		out, err := host(cmd[0], cmd[1:]...)
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "#") {
				continue // iptables-save's dated comments
			}
			line = counters.ReplaceAllString(line, "")
			line = nftCounter.ReplaceAllString(line, "counter")
			if key == "links" { // name and flags, not counters or state changes of others' links
				line = strings.Join(strings.Fields(line)[:min(1, len(strings.Fields(line)))], " ")
			}
			lines = append(lines, line)
		}
		s[key] = strings.Join(lines, "\n")
	}
	mps, err := mountPoints()
	if err != nil {
		return nil, err
	}
	// Network namespaces other than the pods' (cni-*) are other programs' `ip netns`, which come and
	// go with their own tests.
	mps = slices.DeleteFunc(mps, func(mp string) bool {
		return under(mp, netnsDir) && !strings.HasPrefix(filepath.Base(mp), "cni-")
	})
	slices.Sort(mps)
	s["mounts"] = strings.Join(mps, "\n")
	var cgroups []string
	for _, h := range cgroupHierarchies() {
		entries, _ := os.ReadDir(h)
		for _, e := range entries {
			if e.IsDir() {
				cgroups = append(cgroups, filepath.Join(h, e.Name()))
			}
		}
	}
	s["cgroups"] = strings.Join(cgroups, "\n")
	var paths []string
	for _, p := range append(slices.Clone(fixedHostPaths), containerdSocket, containerdTTRPCSocket, journalPath()) {
		if _, err := os.Lstat(p); err == nil {
			paths = append(paths, p)
		}
	}
	s["paths"] = strings.Join(paths, "\n")
	return s, nil
}
