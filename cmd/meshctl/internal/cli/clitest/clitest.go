// Package clitest helps the command tests meet clusters that must not be contacted, that hang, or that
// are not there.
package clitest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Answer is what a Listener does with the connections it accepts.
type Answer int

const (
	// Hang holds every connection open without a word: a cluster that hangs.
	Hang Answer = iota
	// HangUp closes every connection at once: a cluster that fails fast.
	HangUp
)

// Listener is a TCP endpoint on loopback that never speaks HTTP and counts the connections it accepts. A
// kubeconfig pointing at it (Kubeconfig) shows whether a command contacted the cluster.
type Listener struct {
	l        net.Listener
	mu       sync.Mutex
	accepted []string // remote addresses, in the order accepted
	arrived  chan struct{}
	counted  int // connections accounted for by Connections, probes excluded
}

// Listen starts a Listener that answers as told; it stops when the test ends.
func Listen(t *testing.T, answer Answer) *Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &Listener{l: l, arrived: make(chan struct{}, 1)}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if answer == HangUp {
				c.Close()
			} else {
				conns = append(conns, c)
			}
			ln.mu.Lock()
			ln.accepted = append(ln.accepted, c.RemoteAddr().String())
			ln.mu.Unlock()
			select {
			case ln.arrived <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln
}

// Addr is the listener's host:port.
func (ln *Listener) Addr() string { return ln.l.Addr().String() }

// Connections returns how many connections were opened to the listener before the call. It does not
// sleep and hope: it opens a probe connection of its own and waits until the listener has accepted it;
// the kernel hands connections to Accept in the order they were made, so every earlier one is counted.
func (ln *Listener) Connections(t *testing.T) int {
	t.Helper()
	probe, err := net.Dial("tcp", ln.Addr())
	if err != nil {
		t.Fatalf("probe the listener: %v", err)
	}
	defer probe.Close()
	me := probe.LocalAddr().String()
	for {
		ln.mu.Lock()
		for i, addr := range ln.accepted {
			if addr == me {
				ln.counted += i
				ln.accepted = ln.accepted[i+1:]
				n := ln.counted
				ln.mu.Unlock()
				return n
			}
		}
		ln.mu.Unlock()
		select {
		case <-ln.arrived:
		case <-t.Context().Done():
			t.Fatal("the listener never accepted the probe connection")
		}
	}
}

// Kubeconfig writes a kubeconfig whose current context, "hanging", points at server (host:port) and
// returns its path.
func Kubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://%s
    insecure-skip-tls-verify: true
contexts:
- name: hanging
  context:
    cluster: c
    user: u
current-context: hanging
users:
- name: u
  user:
    token: t
`, server)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Refused returns an address on loopback where nothing listens: connections are refused.
func Refused(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
