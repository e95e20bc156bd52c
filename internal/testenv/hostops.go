package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Small host operations of the real node, each undoable: sysctls, commands (ip, iptables),
// mounts and cgroups.

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

func readSysctl(name string) (string, error) {
	data, err := os.ReadFile(sysctlPath(name))
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", name, err)
	}
	return strings.TrimSpace(string(data)), nil
}

func writeSysctl(name, value string) error {
	if err := os.WriteFile(sysctlPath(name), []byte(value), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", name, value, err)
	}
	return nil
}

// host runs a host command (ip, iptables) and returns its output; the error quotes it.
func host(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// mountPoints lists the mount points of this mount namespace, from /proc/self/mountinfo.
func mountPoints() ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 {
			out = append(out, unescapeMountPath(fields[4]))
		}
	}
	return out, sc.Err()
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 is a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func under(path, root string) bool {
	return path == root || strings.HasPrefix(path, strings.TrimSuffix(root, "/")+"/")
}

// unmountUnder unmounts everything mounted at or below root, deepest first (the kubelet bind-mounts
// its root folder onto itself, and pods' volumes sit inside it).
func unmountUnder(root string) error {
	for range 5 { // a lazy unmount can reveal a mount it covered
		mps, err := mountPoints()
		if err != nil {
			return err
		}
		var mine []string
		for _, mp := range mps {
			if under(mp, root) {
				mine = append(mine, mp)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		sort.Slice(mine, func(i, j int) bool { return len(mine[i]) > len(mine[j]) })
		for _, mp := range mine {
			if err := syscall.Unmount(mp, 0); err != nil {
				_ = syscall.Unmount(mp, syscall.MNT_DETACH)
			}
		}
	}
	return fmt.Errorf("unmount below %s: mounts remain", root)
}

// removeAllUnmounted removes path after unmounting everything below it, and refuses when a mount
// remains: RemoveAll through a bind mount would delete the files of whatever was mounted there.
func removeAllUnmounted(path string) error {
	if err := unmountUnder(path); err != nil {
		return err
	}
	return os.RemoveAll(path)
}

// cgroupHierarchies are the cgroup mounts a cgroupfs kubelet creates its folders in: each v1
// hierarchy and the v2 one.
func cgroupHierarchies() []string {
	var out []string
	mps, _ := mountPoints()
	for _, mp := range mps {
		if under(mp, "/sys/fs/cgroup") && mp != "/sys/fs/cgroup" {
			out = append(out, mp)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// cgroupPIDs lists the processes in a cgroup and all its children, in every hierarchy.
func cgroupPIDs(name string) []int {
	seen := map[int]bool{}
	for _, h := range cgroupHierarchies() {
		_ = filepath.WalkDir(filepath.Join(h, name), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			data, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					seen[pid] = true
				}
			}
			return nil
		})
	}
	return slices.Sorted(func(yield func(int) bool) {
		for pid := range seen {
			if !yield(pid) {
				return
			}
		}
	})
}

// cgroupDirs lists the folders of a cgroup and its children in every hierarchy.
func cgroupDirs(name string) []string {
	var dirs []string
	for _, h := range cgroupHierarchies() {
		_ = filepath.WalkDir(filepath.Join(h, name), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
	}
	return dirs
}

// removeCgroup removes a cgroup's folders in every hierarchy, children first, except those in keep.
// A cgroup folder holds only the kernel's control files, so rmdir (not RemoveAll) is the way. A cgroup
// whose last process was killed a moment ago stays busy until the kernel has released it: rmdir is
// tried again for a few seconds.
func removeCgroup(name string, keep []string) error {
	dirs := cgroupDirs(name)
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	var errs []string
	for _, d := range dirs {
		if slices.Contains(keep, d) {
			continue
		}
		var err error
		for try := 0; try < 50; try++ {
			if err = syscall.Rmdir(d); err == nil || err == syscall.ENOENT {
				err = nil
				break
			}
			if err != syscall.EBUSY {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", d, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove cgroup %s: %s", name, strings.Join(errs, "; "))
	}
	return nil
}
