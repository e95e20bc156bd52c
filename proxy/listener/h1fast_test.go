package listener_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// fastProxy is one HTTP listener in front of an echoing backend.
func fastProxy(t *testing.T, b *proxytest.Backend, opts listener.Options) (*proxytest.Proxy, string) {
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("b", b)),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("b")))},
	}, opts)
	return p, p.Addr(t, "l")
}

// rawConn is a client connection that writes bytes as given and reads answers with net/http.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialFast(t *testing.T, addr string) *rawConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatal(err)
	}
}

// answer reads one answer: its status and the path the backend saw.
func (r *rawConn) answer() (int, string) {
	r.t.Helper()
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		r.t.Fatalf("reading an answer: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get(proxytest.HeaderPath)
}

func TestFastPathPipelinedRequests(t *testing.T) {
	_, addr := fastProxy(t, proxytest.NewBackend(t, "b"), listener.Options{})
	c := dialFast(t, addr)
	c.send("GET /one HTTP/1.1\r\nHost: b\r\n\r\n" +
		"POST /two HTTP/1.1\r\nHost: b\r\nContent-Length: 5\r\n\r\nhello" +
		"GET /three HTTP/1.1\r\nHost: b\r\n\r\n")
	for _, want := range []string{"/one", "/two", "/three"} {
		if code, path := c.answer(); code != 200 || path != want {
			t.Errorf("got %d for %q, want 200 for %q", code, path, want)
		}
	}
}

// TestFastPathHandsOverMidConnection: after plain requests, a request the fast path does not take
// (a WebSocket upgrade, then bad input) is served by net/http on the same connection.
func TestFastPathHandsOverMidConnection(t *testing.T) {
	b := wsBackend(t, proxytest.Echo("ws"))
	_, addr := fastProxy(t, b, listener.Options{})
	c := dialFast(t, addr)
	c.send("GET /plain HTTP/1.1\r\nHost: ws\r\n\r\n")
	if code, path := c.answer(); code != 200 || path != "/plain" {
		t.Fatalf("plain request: %d %q", code, path)
	}
	// The upgrade arrives together with the end of the plain request's successor: both are
	// served, the second by net/http.
	c.send("GET /again HTTP/1.1\r\nHost: ws\r\n\r\nGET /chat HTTP/1.1\r\nHost: ws\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n\r\n")
	if code, path := c.answer(); code != 200 || path != "/again" {
		t.Fatalf("second plain request: %d %q", code, path)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade after plain requests: %v %v", resp, err)
	}
	c.send("hello\n")
	if line, _ := c.br.ReadString('\n'); line != "echo hello\n" {
		t.Errorf("after the upgrade: %q", line)
	}
}

// TestFastPathLimitsAfterARequest: net/http's limits hold for a connection's later requests too:
// oversized headers get 431, garbage 400, a slow head is cut off, an idle connection closed.
func TestFastPathLimitsAfterARequest(t *testing.T) {
	_, addr := fastProxy(t, proxytest.NewBackend(t, "b"), listener.Options{
		// IdleTimeout 1 s: the client's next request must come within it however loaded the machine.
		ReadHeaderTimeout: 200 * time.Millisecond, IdleTimeout: time.Second, MaxHeaderBytes: 8 << 10})
	after := func(next string) string {
		c := dialFast(t, addr)
		c.send("GET /first HTTP/1.1\r\nHost: b\r\n\r\n")
		if code, _ := c.answer(); code != 200 {
			t.Fatalf("first request: %d", code)
		}
		c.send(next)
		line, _ := c.br.ReadString('\n')
		return strings.TrimSpace(line)
	}
	for _, b := range badRequests {
		if got := after(b.req); !strings.HasPrefix(got, b.status) {
			t.Errorf("%s after a request: %q, want %q", b.name, got, b.status)
		}
	}
	if got := after("GET / HTTP/1.1\nHost: b\n\n"); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Errorf("bare line feeds, which net/http reads: %q", got)
	}
	// A head that never ends is cut off after ReadHeaderTimeout (well before the client's deadline).
	start := time.Now()
	if got := after("GET / HTTP/1.1\r\nHost: b\r\nX-Slow: "); got != "" || time.Since(start) > 5*time.Second {
		t.Errorf("slow head: %q after %v, want the connection closed", got, time.Since(start))
	}
	// An idle connection is closed after IdleTimeout.
	c := dialFast(t, addr)
	c.send("GET /first HTTP/1.1\r\nHost: b\r\n\r\n")
	if code, _ := c.answer(); code != 200 {
		t.Fatalf("first request: %d", code)
	}
	if _, err := c.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection: read %v, want EOF", err)
	}
}

// TestFastPathSilentConnection: a new connection that sends nothing has ReadHeaderTimeout, not
// the (hour-long) IdleTimeout of a connection between requests.
func TestFastPathSilentConnection(t *testing.T) {
	_, addr := fastProxy(t, proxytest.NewBackend(t, "b"), listener.Options{ReadHeaderTimeout: 200 * time.Millisecond})
	c := dialFast(t, addr) // its own deadline is 10 s
	if _, err := c.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("silent connection: read %v, want EOF", err)
	}
}

// TestFastPathNoticesAClientGoingAway: a client that closes while its request waits for the
// upstream cancels the request (DC in the access log), as net/http's background read does; for a
// request with a body, once the body has been read.
func TestFastPathNoticesAClientGoingAway(t *testing.T) {
	for _, req := range []string{
		"GET /slow HTTP/1.1\r\nHost: b\r\n\r\n",
		"POST /slow HTTP/1.1\r\nHost: b\r\nContent-Length: 4\r\n\r\nbody",
	} {
		b := proxytest.NewBackend(t, "b")
		arrived, release := make(chan struct{}), make(chan struct{})
		b.Handle = func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			close(arrived)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		flags := make(chan accesslog.Flags, 1)
		_, addr := fastProxy(t, b, listener.Options{Observe: func(i *accesslog.Info) { flags <- i.Flags }})
		c := dialFast(t, addr)
		c.send(req)
		<-arrived
		c.c.Close()
		select {
		case f := <-flags:
			if f&accesslog.DownstreamConnectionTermination == 0 {
				t.Errorf("%q: flags %v, want DC", req, f)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%q: the request went on after its client closed", req)
		}
		close(release)
	}
}

// TestDrainClosesIdleFastConnections: Drain closes keep-alive connections that wait for a request,
// as net/http does once keep-alives are off.
func TestDrainClosesIdleFastConnections(t *testing.T) {
	p, addr := fastProxy(t, proxytest.NewBackend(t, "b"), listener.Options{})
	c := dialFast(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: b\r\n\r\n")
	if code, _ := c.answer(); code != 200 {
		t.Fatalf("request: %d", code)
	}
	// Let the connection's goroutine reach its wait for the next request (a drain that comes
	// earlier is seen before the wait).
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.Drain(ctx)
	if ctx.Err() != nil || p.ActiveConnections() != 0 {
		t.Errorf("drain: %v, %d connections left", ctx.Err(), p.ActiveConnections())
	}
	if _, err := c.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("idle connection after the drain: read %v, want EOF", err)
	}
}
