package reviews

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// ratingsServer answers like the ratings service and records the last request's headers.
type ratingsServer struct {
	calls  atomic.Int32
	header atomic.Pointer[http.Header]
	status int
}

func (s *ratingsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	h := r.Header.Clone()
	s.header.Store(&h)
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}`))
}

func get(t *testing.T, h http.Handler, hdr http.Header) Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/reviews/0", nil)
	req.Header = hdr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("GET /reviews/0 = %d %s", rec.Code, rec.Body)
	}
	var resp Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func starsOf(r Response) []any {
	var out []any
	for _, rev := range r.Reviews {
		switch {
		case rev.Rating == nil:
			out = append(out, nil)
		case rev.Rating.Stars != nil:
			out = append(out, *rev.Rating.Stars, rev.Rating.Color)
		default:
			out = append(out, rev.Rating.Error)
		}
	}
	return out
}

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		o         Options
		wantCalls int32
		want      []any
	}{
		{"v1", Options{EnableRatings: false}, 0, []any{nil, nil}},
		{"v2", Options{EnableRatings: true, StarColor: "black"}, 1, []any{5, "black", 4, "black"}},
		{"v3", Options{EnableRatings: true, StarColor: "red"}, 1, []any{5, "red", 4, "red"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := &ratingsServer{}
			srv := httptest.NewServer(rs)
			defer srv.Close()
			tc.o.RatingsURL, tc.o.PodName = srv.URL, "reviews-"+tc.name+"-abc"
			resp := get(t, NewHandler(tc.o), http.Header{})
			if got := starsOf(resp); !equal(got, tc.want) {
				t.Errorf("stars %v, want %v", got, tc.want)
			}
			if rs.calls.Load() != tc.wantCalls {
				t.Errorf("ratings called %d times, want %d", rs.calls.Load(), tc.wantCalls)
			}
			if resp.PodName != "reviews-"+tc.name+"-abc" || resp.ID != "0" || len(resp.Reviews) != 2 {
				t.Errorf("response %+v", resp)
			}
		})
	}
}

func equal(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRatingsFailing(t *testing.T) {
	rs := &ratingsServer{status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	resp := get(t, NewHandler(Options{EnableRatings: true, StarColor: "red", RatingsURL: srv.URL}), http.Header{})
	want := []any{RatingsUnavailable, RatingsUnavailable}
	if got := starsOf(resp); !equal(got, want) {
		t.Errorf("ratings 503: %v, want %v", got, want)
	}
	// Nothing listens there any more: the connection is refused.
	srv.Close()
	resp = get(t, NewHandler(Options{EnableRatings: true, RatingsURL: srv.URL}), http.Header{})
	if got := starsOf(resp); !equal(got, want) {
		t.Errorf("ratings down: %v, want %v", got, want)
	}
}

func TestForwardsHeadersToRatings(t *testing.T) {
	rs := &ratingsServer{}
	srv := httptest.NewServer(rs)
	defer srv.Close()
	in := http.Header{}
	in.Set("end-user", "jason")
	in.Set("x-request-id", "rid-1")
	in.Set("x-b3-traceid", "trace-1")
	in.Set("traceparent", "00-abc-def-01")
	in.Set("x-private", "no")
	get(t, NewHandler(Options{EnableRatings: true, RatingsURL: srv.URL}), in)
	got := *rs.header.Load()
	for _, h := range []string{"end-user", "x-request-id", "x-b3-traceid", "traceparent"} {
		if got.Get(h) != in.Get(h) {
			t.Errorf("ratings got %s = %q, want %q", h, got.Get(h), in.Get(h))
		}
	}
	if got.Get("x-private") != "" {
		t.Error("x-private forwarded")
	}
}

func TestRatingsTimeoutByColor(t *testing.T) {
	// Upstream's values, on which the fault-injection tutorial's outcome depends.
	if got := (Options{StarColor: "black"}).RatingsTimeout(); got != 10*time.Second {
		t.Errorf("black: %v, want 10s", got)
	}
	if got := (Options{StarColor: "red"}).RatingsTimeout(); got != 2500*time.Millisecond {
		t.Errorf("red: %v, want 2.5s", got)
	}
}

func TestNotFound(t *testing.T) {
	rec := httptest.NewRecorder()
	NewHandler(Options{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/reviews/abc", nil))
	if rec.Code != 404 {
		t.Errorf("/reviews/abc = %d, want 404", rec.Code)
	}
	rec = httptest.NewRecorder()
	NewHandler(Options{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	if rec.Code != 200 || rec.Body.String() != `{"status":"Reviews is healthy"}` {
		t.Errorf("/health = %d %s", rec.Code, rec.Body)
	}
}
