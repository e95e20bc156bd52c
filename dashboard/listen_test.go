package dashboard

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestValidateAddress(t *testing.T) {
	for _, ok := range []string{"localhost", "127.0.0.1", "0.0.0.0", "::1", "::", "192.168.1.10"} {
		if err := ValidateAddress(ok); err != nil {
			t.Errorf("ValidateAddress(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "example.com", "127.0.0.1:80", "localhost,0.0.0.0", "300.1.1.1"} {
		if err := ValidateAddress(bad); err == nil || !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("ValidateAddress(%q) = %v; want an error quoting it", bad, err)
		}
	}
}

func TestExposedAndURLHost(t *testing.T) {
	tests := []struct {
		address string
		exposed bool
		host    string
	}{
		{"localhost", false, "localhost"},
		{"127.0.0.1", false, "127.0.0.1"},
		{"::1", false, "::1"},
		{"0.0.0.0", true, "localhost"},
		{"::", true, "localhost"},
		{"10.0.0.5", true, "10.0.0.5"},
	}
	for _, tt := range tests {
		if got := Exposed(tt.address); got != tt.exposed {
			t.Errorf("Exposed(%q) = %v", tt.address, got)
		}
		if got := URLHost(tt.address); got != tt.host {
			t.Errorf("URLHost(%q) = %q; want %q", tt.address, got, tt.host)
		}
	}
	s := &Session{address: "::1", localPort: 9090}
	if got := s.URL("/kiali"); got != "http://[::1]:9090/kiali" {
		t.Errorf("URL = %q", got)
	}
}

// hold listens on 127.0.0.1:0 for the test and returns the port.
func hold(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func TestChoosePort(t *testing.T) {
	busy := hold(t)

	_, err := choosePort("localhost", busy, false)
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Port != busy {
		t.Fatalf("busy port without fallback: %v; want a *PortInUseError for %d", err, busy)
	}
	want := "local port localhost:" + strconv.Itoa(busy) + " is already in use"
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "--port 0") {
		t.Fatalf("message %q should start with %q and suggest --port 0", err, want)
	}
	if _, err := choosePort("127.0.0.1", busy, false); !errors.As(err, &inUse) {
		t.Fatalf("busy port on 127.0.0.1: %v", err)
	}

	got, err := choosePort("localhost", busy, true)
	if err != nil || got == busy || got == 0 {
		t.Fatalf("busy port with fallback = %d, %v; want another port", got, err)
	}
	free, err := choosePort("127.0.0.1", 0, false)
	if err != nil || free == 0 {
		t.Fatalf("port 0 = %d, %v", free, err)
	}
	// The free port it found is really free: the probe closed what it opened.
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(free)))
	if err != nil {
		t.Fatalf("port %d said free but cannot be bound: %v", free, err)
	}
	l.Close()
	if got, err := choosePort("127.0.0.1", free, false); err != nil || got != free {
		t.Fatalf("free port %d = %d, %v", free, got, err)
	}
}
