package listener

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFastResponseMatchesNetHTTP runs each handler behind net/http's server and behind the fast
// path and compares the bytes the client gets (Date aside) and whether the connection carries a
// second request.
func TestFastResponseMatchesNetHTTP(t *testing.T) {
	const get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	post := func(n int) string {
		return "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: " + itoa(n) + "\r\n\r\n" + strings.Repeat("b", n)
	}
	cases := []struct {
		name, req string
		h         http.HandlerFunc
	}{
		{"length set", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "2")
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("ok"))
		}},
		{"length computed, type sniffed", get, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("<html><body>hi"))
		}},
		{"encoded, not sniffed", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write([]byte("abc"))
		}},
		{"larger than the buffer: chunked", get, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte("z"), 3000))
			_, _ = w.Write([]byte("tail"))
		}},
		{"flushed: chunked", get, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("a"))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("b"))
		}},
		{"no content", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusNoContent)
			_, _ = w.Write([]byte("dropped"))
		}},
		{"not modified", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", "10")
			w.Header().Set("Etag", `"x"`)
			w.WriteHeader(http.StatusNotModified)
		}},
		{"declared trailers", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-T, x-u")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("x"))
			w.Header().Set("X-T", "v")
			w.Header().Set("X-U", "u")
		}},
		{"trailer prefix", get, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("x"))
			w.Header().Set(http.TrailerPrefix+"X-Late", "w")
		}},
		{"identity: close", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Transfer-Encoding", "identity")
			_, _ = w.Write([]byte("x"))
		}},
		{"chunked and a length", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Transfer-Encoding", "chunked")
			w.Header().Set("Content-Length", "3")
			_, _ = w.Write([]byte("abc"))
		}},
		{"handler closes", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			_, _ = w.Write([]byte("x"))
		}},
		{"short of its length", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5")
			_, _ = w.Write([]byte("ab"))
		}},
		{"past its length", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1")
			_, _ = w.Write([]byte("ab"))
			_, _ = w.Write([]byte("c"))
		}},
		{"early hints", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "</s.css>; rel=preload")
			w.Header().Set("Content-Length", "9")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("123456789"))
		}},
		{"odd fields", get, func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Bad Name"] = []string{"x"}
			w.Header()["X-Multi"] = []string{"1", " 2 "}
			w.Header().Set("X-Nl", "a\nb\rc")
			w.Header().Set("Date", "then")
			w.WriteHeader(599)
		}},
		{"nothing written", get, func(w http.ResponseWriter, r *http.Request) {}},
		{"aborted", get, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("partial"))
			panic(http.ErrAbortHandler)
		}},
		{"body read", post(10), func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
		}},
		{"small body unread", post(10), func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("x"))
		}},
		{"large body unread", post(300 << 10), func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
		}},
		{"large body closed", post(300 << 10), func(w http.ResponseWriter, r *http.Request) {
			r.Body.Close()
			_, _ = w.Write([]byte("x"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := exchange(t, netHTTPServer(t, tc.h), tc.req)
			got := exchange(t, fastServer(t, tc.h), tc.req)
			if got != want {
				t.Errorf("fast path:\n%s\nnet/http:\n%s", got, want)
			}
		})
	}
}

var dateField = regexp.MustCompile(`(?m)^Date: [^\r]+\r$`)

// exchange sends req, records the answer's bytes as the client reads them, then whether a second
// request on the connection is answered.
func exchange(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = io.WriteString(c, req) }()
	var rec bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &rec))
	out := ""
	resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		out = strings.Join(sortedTrailer(resp.Trailer), "\n")
	}
	head := rec.String()[:rec.Len()-br.Buffered()]
	out = dateField.ReplaceAllString(head, "Date: <now>\r") + "\ntrailers: " + out
	if err != nil {
		return out + "\nerror: " + err.Error()
	}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return out + "\nsecond: no answer"
	}
	if resp, err := http.ReadResponse(br, nil); err != nil {
		return out + "\nsecond: no answer"
	} else {
		return out + "\nsecond: " + resp.Status
	}
}

func sortedTrailer(h http.Header) []string {
	var out []string
	for k, v := range h {
		out = append(out, k+": "+strings.Join(v, ","))
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func netHTTPServer(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelDebug)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// fastServer serves h on the fast path of a Manager with no configuration.
func fastServer(t *testing.T, h http.Handler) string {
	ctx, cancel := context.WithCancel(context.Background())
	m := New(ctx, Options{Log: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.active.Add(1)
			go m.serveHTTP1(c, &connState{}, h)
		}
	}()
	t.Cleanup(func() { ln.Close(); cancel(); m.Close() })
	return ln.Addr().String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
