package jwks_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshctl/meshctl/controlplane/jwks"
)

type sink struct {
	mu  sync.Mutex
	got map[string]string
	n   int
}

func (s *sink) set(uri, keys string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.got == nil {
		s.got = map[string]string{}
	}
	s.got[uri] = keys
	s.n++
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestFetchRefreshRetry: a key set is fetched once, kept until it is due again, handed on only when
// it changed; a failure is retried sooner and reported.
func TestFetchRefreshRetry(t *testing.T) {
	var body atomic.Value
	body.Store(`{"keys":[{"kid":"1"}]}`)
	var hits atomic.Int64
	fail := atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, body.Load().(string))
	}))
	defer srv.Close()
	s := &sink{}
	f := &jwks.Fetcher{URIs: func() []string { return []string{srv.URL} }, Set: s.set, Refresh: time.Hour, Retry: time.Minute, Log: quiet()}
	now := time.Now()
	ctx := context.Background()
	f.Sync(ctx, now)
	if s.got[srv.URL] != `{"keys":[{"kid":"1"}]}` || hits.Load() != 1 {
		t.Fatalf("first sync: %v, %d fetches", s.got, hits.Load())
	}
	f.Sync(ctx, now.Add(time.Minute))
	if hits.Load() != 1 {
		t.Errorf("fetched again before the refresh: %d", hits.Load())
	}
	f.Sync(ctx, now.Add(time.Hour))
	if hits.Load() != 2 || s.n != 1 {
		t.Errorf("refresh without change: %d fetches, %d sets (want 2, 1)", hits.Load(), s.n)
	}
	body.Store(`{"keys":[{"kid":"2"}]}`)
	fail.Store(true)
	f.Sync(ctx, now.Add(2*time.Hour))
	if s.got[srv.URL] != `{"keys":[{"kid":"1"}]}` || !strings.Contains(f.Errors()[srv.URL], "503") {
		t.Errorf("a failed fetch: keys %q, errors %v", s.got[srv.URL], f.Errors())
	}
	fail.Store(false)
	f.Sync(ctx, now.Add(2*time.Hour+time.Minute))
	if s.got[srv.URL] != `{"keys":[{"kid":"2"}]}` || len(f.Errors()) != 0 {
		t.Errorf("retry after a minute: keys %q, errors %v", s.got[srv.URL], f.Errors())
	}
}

// TestFetchRefusals: not a key set, too slow: nothing is handed on.
func TestFetchRefusals(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/html":
			_, _ = io.WriteString(w, "<html>")
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	s := &sink{}
	f := &jwks.Fetcher{URIs: func() []string { return []string{srv.URL + "/html", srv.URL + "/slow"} }, Set: s.set,
		Client: &http.Client{Timeout: 200 * time.Millisecond}, Log: quiet()}
	f.Sync(context.Background(), time.Now())
	errs := f.Errors()
	if s.n != 0 || len(errs) != 2 {
		t.Errorf("sets %v, errors %v: want none and 2", s.got, errs)
	}
	// The hanging server is given up on by the client's timeout (the test would hang otherwise).
	if e := errs[srv.URL+"/slow"]; !strings.Contains(e, "Timeout") {
		t.Errorf("slow server: %q, want the client's timeout", e)
	}
}

// TestRunKick: Run fetches at once and again when kicked (a RequestAuthentication changed).
func TestRunKick(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"keys":[]}`)
	}))
	defer srv.Close()
	var uris atomic.Value
	uris.Store([]string{srv.URL + "/a"})
	s := &sink{}
	f := &jwks.Fetcher{URIs: func() []string { return uris.Load().([]string) }, Set: s.set, Log: quiet()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(uri string) {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			s.mu.Lock()
			_, ok := s.got[uri]
			s.mu.Unlock()
			if ok {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("%s never fetched", uri)
	}
	wait(srv.URL + "/a")
	uris.Store([]string{srv.URL + "/a", srv.URL + "/b"})
	f.Kick()
	wait(srv.URL + "/b")
}
