// Package netns gives tests network namespaces of their own: created with iproute2, given blackhole
// default routes so that nothing can leave them for the machine's networks, linked by veth pairs, and
// removed when the test ends. Code runs inside one on a locked OS thread (Run), and child processes
// start inside one (Start), as root.
package netns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// T is what the package needs of a test (T satisfies it); programs such as the proxy
// benchmark give their own.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Cleanup(func())
}

// NS is a network namespace a test created.
type NS struct {
	Name string
	path string
}

var seq atomic.Int64

// Require skips the test unless it runs as root on a machine with ip(8) and network namespaces.
func Require(t T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: network namespaces")
		return
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) from iproute2")
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		t.Skip("no network namespaces")
	}
}

// New creates a namespace with loopback up and IPv4 and IPv6 default routes that blackhole: an address
// the test did not set up is unreachable instead of routed anywhere.
func New(t T, label string) *NS {
	t.Helper()
	Require(t)
	name := fmt.Sprintf("mt%d-%d-%s", os.Getpid()%100000, seq.Add(1), label)
	if len(name) > 40 {
		name = name[:40]
	}
	ip(t, "netns", "add", name)
	n := &NS{Name: name, path: filepath.Join("/var/run/netns", name)}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	n.IP(t, "link", "set", "lo", "up")
	n.IP(t, "route", "add", "blackhole", "default")
	n.IP(t, "-6", "route", "add", "blackhole", "default")
	return n
}

// IP runs ip(8) inside the namespace.
func (n *NS) IP(t T, args ...string) {
	t.Helper()
	ip(t, append([]string{"-n", n.Name}, args...)...)
}

func ip(t T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Link connects two namespaces with a veth pair, each end named ifA/ifB and given the addresses (CIDR
// form, IPv4 or IPv6; IPv6 ones skip duplicate address detection so they work at once).
func Link(t T, a *NS, ifA string, addrsA []string, b *NS, ifB string, addrsB []string) {
	t.Helper()
	tmp := fmt.Sprintf("mtv%d", seq.Add(1))
	ip(t, "link", "add", tmp+"a", "type", "veth", "peer", "name", tmp+"b")
	ip(t, "link", "set", tmp+"a", "netns", a.Name)
	ip(t, "link", "set", tmp+"b", "netns", b.Name)
	a.IP(t, "link", "set", tmp+"a", "name", ifA)
	b.IP(t, "link", "set", tmp+"b", "name", ifB)
	for _, side := range []struct {
		ns    *NS
		ifc   string
		addrs []string
	}{{a, ifA, addrsA}, {b, ifB, addrsB}} {
		for _, addr := range side.addrs {
			args := []string{"addr", "add", addr, "dev", side.ifc}
			if strings.Contains(addr, ":") {
				args = append(args, "nodad")
			}
			side.ns.IP(t, args...)
		}
		side.ns.IP(t, "link", "set", side.ifc, "up")
	}
}

// Fd opens the namespace; the caller closes the descriptor.
func (n *NS) Fd() (int, error) {
	return unix.Open(n.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

// Run calls fn on an OS thread that is inside the namespace: sockets fn creates belong to it and stay
// there when fn returns (their goroutines may then run anywhere).
func (n *NS) Run(fn func() error) error {
	target, err := n.Fd()
	if err != nil {
		return err
	}
	defer unix.Close(target)
	runtime.LockOSThread()
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer unix.Close(self)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter %s: %w", n.Name, err)
	}
	ferr := fn()
	if err := unix.Setns(self, unix.CLONE_NEWNET); err != nil {
		// The thread is stuck in the namespace: keep it locked so the runtime discards it.
		return fmt.Errorf("leave %s: %w", n.Name, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// Start starts cmd inside the namespace: a child forked from a thread inside it inherits it.
func (n *NS) Start(cmd *exec.Cmd) error {
	return n.Run(cmd.Start)
}

// SharedDir is a temporary directory that any user may read, for files of children that run as
// another user (t.TempDir's parent is closed to them). It is removed when the test ends.
func SharedDir(t T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "netns-shared")
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	return dir
}

// SharedExecutable is a copy of the running test binary that any user may execute, for children that
// run as another user (go test builds the binary in a directory only its owner can enter).
func SharedExecutable(t T) string {
	t.Helper()
	src, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatalf("%v", err)
	}
	path := filepath.Join(SharedDir(t), filepath.Base(os.Args[0]))
	if err := os.WriteFile(path, src, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	return path
}
