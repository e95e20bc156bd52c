package cluster

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The pool waits for an answer without reading first (proxy/waitread). These are the cases where
// such a wait could miss what the server sent; each request has 10 s.

func doWithin(t *testing.T, rt http.RoundTripper, addr, path string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+path, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: body: %v", path, err)
	}
	return resp, string(b)
}

// TestH1WaitFirstFastAnswers: answers that come as fast as loopback allows, some larger than the
// connection's 16 KiB buffer.
func TestH1WaitFirstFastAnswers(t *testing.T) {
	big := strings.Repeat("z", 40<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			io.WriteString(w, big)
			return
		}
		io.WriteString(w, r.URL.Path)
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, rt := poolFor(t, addr)
	for i := 0; i < 2000; i++ {
		path := "/small"
		if i%10 == 3 {
			path = "/big"
		}
		if resp, body := doWithin(t, rt, addr, path); resp.StatusCode != 200 || (body != path && body != big) {
			t.Fatalf("request %d: %d, %d bytes", i, resp.StatusCode, len(body))
		}
	}
}

// TestH1WaitFirstServerHalfClosed: the server answers, then half-closes the idle connection and
// never answers again (its FIN is in the socket, its readiness taken, before the next request is
// sent on the pooled connection): the request goes to a new connection, as when a read finds the
// FIN at once.
func TestH1WaitFirstServerHalfClosed(t *testing.T) {
	addr := acceptEach(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		time.Sleep(5 * time.Millisecond)
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c) // reads on, answers nothing
	})
	_, rt := poolFor(t, addr)
	for i := 0; i < 4; i++ {
		if resp, body := doWithin(t, rt, addr, "/"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond) // the FIN arrives and the poller takes its readiness
	}
}
