package listener_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// The fast path waits for a keep-alive connection's next request without reading first
// (proxy/waitread). These are the cases where a wait that does not read first can miss what the
// client sent: each must be answered well before the client's 10 s deadline, with the proxy's
// IdleTimeout an hour.

// TestWaitFirstBackToBack: the client sends each request as soon as it has the previous answer,
// so requests arrive while the proxy is between its write and its wait.
func TestWaitFirstBackToBack(t *testing.T) {
	_, addr := fastProxy(t, proxytest.NewBackend(t, "b"), listener.Options{})
	c := dialFast(t, addr)
	for i := 0; i < 2000; i++ {
		path := fmt.Sprintf("/r%d", i)
		c.send("GET " + path + " HTTP/1.1\r\nHost: b\r\n\r\n")
		if code, got := c.answer(); code != 200 || got != path {
			t.Fatalf("request %d: %d %q", i, code, got)
		}
	}
}

// TestWaitFirstPipelinedApart: the second request is sent in a write of its own while the first is
// being served (before the proxy's client-gone watch starts reading): it is in the socket, its
// readiness taken by the poller, before the proxy waits.
func TestWaitFirstPipelinedApart(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	b.Handle = func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Millisecond)
		proxytest.Echo("b")(w, r)
	}
	_, addr := fastProxy(t, b, listener.Options{})
	c := dialFast(t, addr)
	c.send("GET /warm HTTP/1.1\r\nHost: b\r\n\r\n")
	c.answer()
	for i := 0; i < 3; i++ {
		c.send("GET /one HTTP/1.1\r\nHost: b\r\n\r\n")
		time.Sleep(time.Millisecond)
		c.send("GET /two HTTP/1.1\r\nHost: b\r\n\r\n")
		for _, want := range []string{"/one", "/two"} {
			if code, got := c.answer(); code != 200 || got != want {
				t.Fatalf("round %d: %d %q, want %q", i, code, got, want)
			}
		}
	}
}

// TestWaitFirstHalfClose: a client that sends its request and half-closes gets its answer and
// then the proxy's close, as net/http's server does.
func TestWaitFirstHalfClose(t *testing.T) {
	_, addr := fastProxy(t, proxytest.NewBackend(t, "b"), listener.Options{})
	c := dialFast(t, addr)
	c.send("GET /first HTTP/1.1\r\nHost: b\r\n\r\n")
	c.answer()
	c.send("GET /last HTTP/1.1\r\nHost: b\r\n\r\n")
	_ = c.c.(*net.TCPConn).CloseWrite()
	if code, got := c.answer(); code != 200 || got != "/last" {
		t.Fatalf("last request: %d %q", code, got)
	}
	if _, err := c.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("after the half-close: read %v, want EOF", err)
	}
}

// TestWaitFirstLargeRequests: a body larger than the connection's 4 KiB buffer (reads that fill
// it), a head larger than it (handed to net/http), and requests after each on the same connection.
func TestWaitFirstLargeRequests(t *testing.T) {
	_, addr := fastProxy(t, proxytest.NewBackend(t, "b"), listener.Options{})
	c := dialFast(t, addr)
	body := strings.Repeat("x", 64<<10)
	for i := 0; i < 3; i++ {
		c.send(fmt.Sprintf("POST /big HTTP/1.1\r\nHost: b\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
		if code, got := c.answer(); code != 200 || got != "/big" {
			t.Fatalf("large body %d: %d %q", i, code, got)
		}
		c.send("GET /after HTTP/1.1\r\nHost: b\r\n\r\n")
		if code, got := c.answer(); code != 200 || got != "/after" {
			t.Fatalf("after a large body %d: %d %q", i, code, got)
		}
	}
	// A 6 KiB head: net/http serves it and the connection's later requests.
	c.send("GET /wide HTTP/1.1\r\nHost: b\r\nX-Wide: " + strings.Repeat("y", 6<<10) + "\r\n\r\n")
	if code, got := c.answer(); code != 200 || got != "/wide" {
		t.Fatalf("large head: %d %q", code, got)
	}
	for i := 0; i < 100; i++ {
		c.send("GET /handed HTTP/1.1\r\nHost: b\r\n\r\n")
		if code, got := c.answer(); code != 200 || got != "/handed" {
			t.Fatalf("request %d after the hand-over: %d %q", i, code, got)
		}
	}
}
