package cluster

import (
	"bufio"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// sameAsNetHTTP checks readSimpleResponse against http.ReadResponse on one input: when the fast path
// takes it, net/http must read the same status, header, length and body; when it does not, nothing
// must be consumed.
func sameAsNetHTTP(t *testing.T, method, raw string) (took bool) {
	t.Helper()
	req := &http.Request{Method: method}
	br := bufio.NewReaderSize(strings.NewReader(raw), 4096)
	got, n, ok := readSimpleResponse(br, req)
	if !ok {
		if rest, _ := io.ReadAll(br); string(rest) != raw {
			t.Fatalf("declined %q but consumed %d bytes", raw, len(raw)-len(rest))
		}
		return false
	}
	want, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), req)
	if err != nil {
		t.Fatalf("took %q, which net/http rejects: %v", raw, err)
	}
	wantBody, wantErr := io.ReadAll(want.Body)
	gotBody := make([]byte, n)
	_, gotErr := io.ReadFull(br, gotBody)
	switch {
	case got.Status != want.Status, got.StatusCode != want.StatusCode, got.Proto != want.Proto,
		got.ContentLength != want.ContentLength, got.Close != want.Close, n != want.ContentLength:
		t.Fatalf("%q: got %q %d %s length %d (%d) close %v; net/http %q %d %s length %d close %v", raw,
			got.Status, got.StatusCode, got.Proto, got.ContentLength, n, got.Close,
			want.Status, want.StatusCode, want.Proto, want.ContentLength, want.Close)
	case !reflect.DeepEqual(got.Header, want.Header):
		t.Fatalf("%q: header %q, net/http %q", raw, got.Header, want.Header)
	case (gotErr == nil) != (wantErr == nil) || (gotErr == nil && string(gotBody) != string(wantBody)):
		t.Fatalf("%q: body %q (%v), net/http %q (%v)", raw, gotBody, gotErr, wantBody, wantErr)
	}
	return true
}

func TestReadSimpleResponse(t *testing.T) {
	for _, tc := range []struct {
		name, method, raw string
		fast              bool
	}{
		{"plain", "GET", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", true},
		{"no reason", "GET", "HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n", true},
		{"lower-case names, spaces", "POST", "HTTP/1.1 404 Not Found\r\ncontent-length:  3 \r\nx-a: 1\r\nX-A:2\r\nx-empty:\r\n\r\nabc", true},
		{"nginx keep-alive", "GET", "HTTP/1.1 200 OK\r\nServer: nginx\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", true},
		{"short body", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", true},
		{"chunked", "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
		{"until close", "GET", "HTTP/1.1 200 OK\r\n\r\nok", false},
		{"connection close", "GET", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false},
		{"HTTP/1.0", "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"HEAD", "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", false},
		{"interim", "GET", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false},
		{"switching", "GET", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false},
		{"no content", "GET", "HTTP/1.1 204 No Content\r\n\r\n", false},
		{"two lengths", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
		{"signed length", "GET", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", false},
		{"folded", "GET", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n", false},
		{"space before colon", "GET", "HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n", false},
		{"bare LF", "GET", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", false},
		{"control in value", "GET", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", false},
		{"head not all here", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if took := sameAsNetHTTP(t, tc.method, tc.raw); took != tc.fast {
				t.Errorf("fast path taken: %v, want %v", took, tc.fast)
			}
		})
	}
}

// FuzzReadSimpleResponse holds the fast path to net/http's reading of whatever it accepts.
func FuzzReadSimpleResponse(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
	f.Add("HTTP/1.1 404 Not Found\r\ncontent-length:  3 \r\nx-a: 1\r\nX-A:2\r\nx-empty:\r\n\r\nabc")
	f.Add("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx")
	f.Fuzz(func(t *testing.T, raw string) {
		sameAsNetHTTP(t, "GET", raw)
	})
}
