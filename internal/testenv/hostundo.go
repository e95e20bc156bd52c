package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// recordHostBefore notes, before the node changes anything, what its undo must restore or
// remove: sysctl values, netfilter chains and tables, fixed paths and cgroups that are absent.
func recordHostBefore(j *hostJournal) error {
	for _, name := range nodeSysctls {
		v, err := readSysctl(name)
		if err != nil {
			return err
		}
		j.Sysctls = append(j.Sysctls, sysctlValue{Name: name, Value: v})
	}
	nb, err := snapshotNetfilter()
	if err != nil {
		return err
	}
	j.Netfilter = nb
	for _, p := range fixedHostPaths {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			j.Paths = append(j.Paths, p)
		}
	}
	for _, c := range nodeCgroups {
		j.CgroupsBefore = append(j.CgroupsBefore, cgroupDirs(c)...)
	}
	if _, err := os.Lstat(netnsDir); errors.Is(err, os.ErrNotExist) {
		j.NetnsDirCreated = true
	}
	return j.save()
}

// undoHost stops whatever of the node still runs and undoes every change its journal records, in
// reverse order of making: processes, mounts, cgroups, routes and the bridge, netfilter, sysctls,
// paths. It goes on after an error, so one failure does not leave the rest behind.
func undoHost(j *hostJournal) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// The kubelet and kube-proxy first, so nothing restarts a container being killed; containerd last.
	var rest []procState
	for _, p := range j.Procs {
		if p.Name == Containerd {
			rest = append(rest, p)
			continue
		}
		add(stopRecorded(p, 5*time.Second))
	}
	killPIDs(cgroupPIDs("kubepods"))
	killPIDs(shimPIDs())
	for _, p := range rest {
		add(stopRecorded(p, 5*time.Second))
	}
	for _, root := range append([]string{j.NodeDir}, j.Paths...) {
		if root != "" {
			add(unmountUnder(root))
		}
	}
	add(removeNodeNetns(j.NetnsDirCreated))
	for _, c := range nodeCgroups {
		add(removeCgroup(c, j.CgroupsBefore))
	}
	for _, r := range slices.Backward(j.Routes) {
		// A route onto a device that is gone went with it: `ip route show` fails then.
		if out, err := host("ip", append([]string{"route", "show"}, routeSelector(r)...)...); err == nil && strings.TrimSpace(out) != "" {
			_, err := host("ip", append([]string{"route", "del"}, r...)...)
			add(err)
		}
	}
	for _, l := range j.Links {
		if fileExists(filepath.Join("/sys/class/net", l)) {
			_, err := host("ip", "link", "del", l)
			add(err)
		}
	}
	if j.Netfilter != nil {
		add(undoNetfilter(j.Netfilter))
	}
	for _, s := range j.Sysctls {
		if cur, err := readSysctl(s.Name); err == nil && cur != s.Value {
			add(writeSysctl(s.Name, s.Value))
		}
	}
	for _, p := range j.Paths {
		add(removeAllUnmounted(p))
	}
	// containerd leaves its sockets behind.
	for _, sock := range []string{containerdSocket, containerdTTRPCSocket} {
		if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
			add(err)
		}
	}
	if j.NodeDir != "" {
		add(removeAllUnmounted(j.NodeDir))
	}
	return errors.Join(errs...)
}

func killPIDs(pids []int) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for range 100 {
		alive := false
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
				alive = true
			}
		}
		if !alive {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// shimPIDs finds the containerd shims of the node's containerd: they outlive containerd by design,
// and are told apart from any other containerd's by the socket address on their command line.
func shimPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(data), "\x00")
		if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		if i := slices.Index(args, "-address"); i >= 0 && i+1 < len(args) && args[i+1] == containerdSocket {
			out = append(out, pid)
		}
	}
	return out
}

// describeJournal names a journal's owner for messages.
func describeJournal(j *hostJournal) string {
	if j.Owner != 0 {
		return fmt.Sprintf("the cluster of test process %d in %s", j.Owner, j.ClusterDir)
	}
	return "the cluster in " + j.ClusterDir
}

// netnsDir is where containerd's CRI mounts the pods' network namespaces, whatever its configuration.
const netnsDir = "/run/netns"

// removeNodeNetns unmounts and removes the pods' network namespaces: CRI names them cni-<uuid>, and
// a machine runs one CRI containerd, the node's. Once no process and no mount holds one, the kernel
// destroys it, and the pod's end of its veth pair with it. Namespaces of other names are someone
// else's (`ip netns add` of a test in another package): /run/netns itself is removed only when the node
// created it and nothing else is in it.
func removeNodeNetns(dirCreated bool) error {
	mps, err := mountPoints()
	if err != nil {
		return err
	}
	var errs []error
	for _, mp := range mps {
		if filepath.Dir(mp) != netnsDir || !strings.HasPrefix(filepath.Base(mp), "cni-") {
			continue
		}
		if err := syscall.Unmount(mp, syscall.MNT_DETACH); err != nil {
			errs = append(errs, fmt.Errorf("unmount %s: %w", mp, err))
			continue
		}
		if err := os.Remove(mp); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if entries, err := os.ReadDir(netnsDir); dirCreated && err == nil && len(entries) == 0 {
		// CRI (like `ip netns`) bind-mounts the folder onto itself to share the namespaces' mounts.
		_ = unmountUnder(netnsDir)
		if err := os.Remove(netnsDir); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
