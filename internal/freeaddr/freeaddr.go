// Package freeaddr picks loopback addresses for tests that start servers on several ports.
package freeaddr

import (
	"net"
	"testing"
)

// Loopback returns n distinct loopback addresses nothing listens on at the moment. The listeners
// stay open until all are picked: closed one by one, the kernel may hand a port out twice (one
// run in a few thousand with three or four), and the server then fails to bind its second use.
func Loopback(t testing.TB, n int) []string {
	t.Helper()
	out := make([]string, 0, n)
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	return out
}
