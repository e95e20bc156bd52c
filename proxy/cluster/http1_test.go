package cluster

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
)

// poolFor is the HTTP/1.1 pool of a cluster over one address.
func poolFor(t *testing.T, addr string) (*Cluster, http.RoundTripper) {
	c := newTestCluster(t, &ir.Cluster{Name: "h1", Type: ir.ClusterStatic, Endpoints: []ir.Endpoint{{Address: addr}}})
	return c, c.RoundTripper()
}

func do(t *testing.T, rt http.RoundTripper, addr string, method, body string, contentLength int64) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, "http://"+addr+"/p?q=1", rd)
	if rd != nil {
		req.ContentLength = contentLength
		req.Body = io.NopCloser(rd) // hide the length when contentLength is -1
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestH1PoolReusesConnections(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+strings.Join(r.TransferEncoding, ",")+" "+string(b))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, rt := poolFor(t, addr)
	for i := 0; i < 10; i++ {
		if _, body := do(t, rt, addr, "GET", "", 0); body != "GET /p?q=1  " {
			t.Fatalf("answer %q", body)
		}
	}
	if _, body := do(t, rt, addr, "POST", "streamed", -1); body != "POST /p?q=1 chunked streamed" {
		t.Errorf("chunked body: %q", body)
	}
	if _, body := do(t, rt, addr, "PUT", "sized", 5); body != "PUT /p?q=1  sized" {
		t.Errorf("sized body: %q", body)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 12 sequential requests, want 1", n)
	}
	// An answer abandoned half-read leaves its connection unusable: the next request dials.
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	do(t, rt, addr, "GET", "", 0)
	if n := conns.Load(); n != 2 {
		t.Errorf("after an abandoned answer: %d connections, want 2", n)
	}
}

// acceptEach serves handle on every connection to a loopback listener (closing the connection
// after it) until the test ends, and returns the listener's address.
func acceptEach(t *testing.T, handle func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// rawServer answers each connection with the given replies, one per request, then closes it.
func rawServer(t *testing.T, replies ...string) (string, *atomic.Int64) {
	var conns atomic.Int64
	addr := acceptEach(t, func(c net.Conn) {
		conns.Add(1)
		br := bufio.NewReader(c)
		for _, reply := range replies {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			io.WriteString(c, reply)
		}
	})
	return addr, &conns
}

func TestH1PoolResendsOnAConnectionTheServerClosed(t *testing.T) {
	// Each connection serves one answer (without saying so) and is closed.
	addr, conns := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	_, rt := poolFor(t, addr)
	for i := 0; i < 3; i++ {
		if resp, body := do(t, rt, addr, "GET", "", 0); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(10 * time.Millisecond) // let the close reach the pool's connection
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (each stale one replaced)", n)
	}
}

func TestH1PoolSkipsInterimAnswers(t *testing.T) {
	addr, _ := rawServer(t, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone")
	_, rt := poolFor(t, addr)
	if resp, body := do(t, rt, addr, "POST", "data", 4); resp.StatusCode != 201 || body != "done" {
		t.Errorf("%d %q, want the final 201", resp.StatusCode, body)
	}
}

func TestH1PoolCancelUnblocksTheBody(t *testing.T) {
	// The answer's head arrives, its body never does.
	addr, _ := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
	_, rt := poolFor(t, addr)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := io.ReadAll(resp.Body)
		done <- err
	}()
	cancel()
	if err := <-done; err == nil {
		t.Error("the body read ended without an error after the request was cancelled")
	}
}
