package freeaddr

import (
	"net"
	"testing"
)

// TestLoopbackDistinctAndFree: the addresses differ and each can be bound once returned.
func TestLoopbackDistinctAndFree(t *testing.T) {
	addrs := Loopback(t, 8)
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("%s handed out twice in %v", a, addrs)
		}
		seen[a] = true
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("%s is not free: %v", a, err)
		}
		_ = l.Close()
	}
}
