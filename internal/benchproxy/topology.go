// Package benchproxy measures mesh-proxy against direct connections and peer proxies (nginx, haproxy,
// Caddy) in the layout of a sidecar pair: client → client proxy → server proxy → server, each side in
// a network namespace of its own that the benchmark creates, linked by a veth pair, with blackhole
// default routes so nothing leaves the machine. `make bench-proxy` runs it (as root).
package benchproxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/meshctl/meshctl/internal/netns"
)

// Addresses inside the benchmark's namespaces: a documentation range, routed nowhere else.
const (
	ClientIP   = "198.51.100.1"
	ServerIP   = "198.51.100.2"
	ServerPort = "8080" // the server application
	PeerPort   = "8001" // a peer's client-side proxy, on the client's loopback
	PeerPort2  = "8002" // a peer's server-side proxy, on the server's address
)

// Topology is the two namespaces and the processes running in them.
type Topology struct {
	t              netns.T
	Client, Server *netns.NS
	mu             sync.Mutex
	procs          []*exec.Cmd
}

// NewTopology creates the namespaces and links them.
func NewTopology(t netns.T) *Topology {
	tp := &Topology{t: t, Client: netns.New(t, "client"), Server: netns.New(t, "server")}
	netns.Link(t, tp.Client, "eth0", []string{ClientIP + "/24"}, tp.Server, "eth0", []string{ServerIP + "/24"})
	t.Cleanup(tp.StopAll)
	return tp
}

// Proc is a process the topology started.
type Proc struct {
	Cmd    *exec.Cmd
	Output *lockedBuffer
}

// Start runs a command in ns (as uid when uid > 0), with extra environment; its output is kept.
func (tp *Topology) Start(ns *netns.NS, uid int, env []string, name string, args ...string) (*Proc, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if uid > 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}
	}
	if err := ns.Start(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	tp.mu.Lock()
	tp.procs = append(tp.procs, cmd)
	tp.mu.Unlock()
	return &Proc{Cmd: cmd, Output: out}, nil
}

// Run runs a command in ns to completion and returns its standard output.
func (tp *Topology) Run(ns *netns.NS, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := ns.Start(cmd); err != nil {
		return "", err
	}
	if err := cmd.Wait(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

// Stop ends a process and its group (nginx forks workers), by its id.
func (tp *Topology) Stop(p *Proc) {
	if p == nil || p.Cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// StopAll kills whatever is still running.
func (tp *Topology) StopAll() {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for _, c := range tp.procs {
		if c.Process != nil && c.ProcessState == nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
	}
}

// WaitListening waits until addr accepts TCP connections from inside ns.
func (tp *Topology) WaitListening(ns *netns.NS, addr string, p *Proc) error {
	for i := 0; i < 300; i++ {
		if p != nil && p.Cmd.ProcessState != nil {
			return fmt.Errorf("exited: %s", p.Output.String())
		}
		ok := false
		_ = ns.Run(func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				ok = true
			}
			return nil
		})
		if ok {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := ""
	if p != nil {
		out = p.Output.String()
	}
	return fmt.Errorf("%s never accepted connections: %s", addr, out)
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Lines are the output's lines.
func (l *lockedBuffer) Lines() []string {
	var out []string
	s := bufio.NewScanner(strings.NewReader(l.String()))
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}

var _ io.Writer = (*lockedBuffer)(nil)
