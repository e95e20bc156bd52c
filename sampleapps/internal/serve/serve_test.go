package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/meshctl/meshctl/sampleapps"
)

// syncBuffer is a log sink the server's goroutines and the test share; shutdown closes once the server
// logs that it is shutting down.
type syncBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	shutdown chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bytes.Contains(p, []byte(`"msg":"shutting down"`)) {
		close(b.shutdown)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestGracefulShutdown: when the context ends, a request in flight still gets its answer, then Serve
// returns nil; each request is logged.
func TestGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := syncBuffer{shutdown: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	inHandler := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inHandler)
		<-release
		io.WriteString(w, "done")
	})
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, NewLogger(&logs, "test"), ln, h) }()

	answer := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/x", nil)
		req.Header.Set("x-request-id", "rid-7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	<-inHandler
	cancel()
	<-logs.shutdown // the server stopped accepting; the request is still in the handler
	close(release)
	if got := <-answer; got != "done" {
		t.Errorf("in-flight request got %q, want done", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	logged := false
	for l := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if m["msg"] == "request" {
			logged = true
			if m["app"] != "test" || m["path"] != "/x" || m["status"] != float64(200) || m["request_id"] != "rid-7" {
				t.Errorf("access log %v", m)
			}
		}
	}
	if !logged {
		t.Errorf("no access log line in %s", logs.String())
	}
}

func TestParseCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		env    map[string]string
		ok     bool
		code   int
		listen string
	}{
		{nil, nil, true, 0, ":9080"},
		{[]string{"9081"}, nil, true, 0, ":9081"},
		{[]string{"-port", "9082", "-host", "127.0.0.1"}, nil, true, 0, "127.0.0.1:9082"},
		{nil, map[string]string{"PORT": "8000"}, true, 0, ":8000"},
		{[]string{"-port", "9083"}, map[string]string{"PORT": "8000"}, true, 0, ":9083"},
		{[]string{"x"}, nil, false, 2, ""},
		{[]string{"1", "2"}, nil, false, 2, ""},
		{[]string{"-nope"}, nil, false, 2, ""},
		{nil, map[string]string{"PORT": "eighty"}, false, 2, ""},
		{[]string{"-h"}, nil, false, 0, ""},
	} {
		var stderr bytes.Buffer
		p := sampleapps.Process{Args: tc.args, Stderr: &stderr, Getenv: func(k string) string { return tc.env[k] }}
		fs := flag.NewFlagSet("app", flag.ContinueOnError)
		var a Address
		a.AddFlags(fs, 9080)
		ok, err := ParseCommandLine(p, fs, &a)
		if ok {
			err = a.fromEnv(p, fs, "PORT", "HOST")
			ok = err == nil
			if err != nil {
				err = sampleapps.Usage(err)
			}
		}
		if ok != tc.ok || sampleapps.ExitCode(err) != tc.code || ok && a.String() != tc.listen {
			t.Errorf("%q %v: ok %v err %v listen %s, want ok %v exit %d listen %s", tc.args, tc.env, ok, err, a.String(), tc.ok, tc.code, tc.listen)
		}
	}
}

func TestServeReportsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = ListenAndServe(t.Context(), slog.New(slog.DiscardHandler), ln.Addr().String(), http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
		t.Errorf("ListenAndServe on a used port = %v", err)
	}
}
