package proxytest

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

func TestClosedAddrRefusesAndHoldsThePort(t *testing.T) {
	a := ClosedAddr(t)
	_, err := net.Dial("tcp", a)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial: %v", err)
	}
	if ln, err := net.Listen("tcp", a); err == nil {
		ln.Close()
		t.Errorf("another listener could bind %s", a)
	}
}
