package ratings

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func mustHandler(t *testing.T, o Options) http.Handler {
	t.Helper()
	h, err := NewHandler(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRatingsV1(t *testing.T) {
	h := mustHandler(t, Options{})
	for _, tc := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/ratings/0", "", 200, `{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}`},
		{"GET", "/ratings/x", "", 400, `{"error":"please provide numeric product ID"}`},
		{"GET", "/health", "", 200, `{"status":"Ratings is healthy"}`},
		{"POST", "/ratings/1", `{"Reviewer1":1,"Reviewer2":2}`, 200, `{"id":1,"ratings":{"Reviewer1":1,"Reviewer2":2}}`},
		{"GET", "/ratings/1", "", 200, `{"id":1,"ratings":{"Reviewer1":1,"Reviewer2":2}}`},
		{"GET", "/ratings/0", "", 200, `{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}`}, // other products keep theirs
		{"POST", "/ratings/1", `{not json`, 400, `{"error":"please provide valid ratings JSON"}`},
	} {
		code, body := do(t, h, tc.method, tc.path, tc.body)
		if code != tc.code || body != tc.want {
			t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.path, code, body, tc.code, tc.want)
		}
	}
}

func TestRatingsFaulty(t *testing.T) {
	roll := 0.4
	h := mustHandler(t, Options{Version: Faulty, Rand: func() float64 { return roll }})
	if code, body := do(t, h, "GET", "/ratings/0", ""); code != 503 || body != `{"error":"Service unavailable"}` {
		t.Errorf("faulty, unlucky roll: %d %s, want 503", code, body)
	}
	roll = 0.6
	if code, _ := do(t, h, "GET", "/ratings/0", ""); code != 200 {
		t.Errorf("faulty, lucky roll: %d, want 200", code)
	}
}

func TestRatingsDelayed(t *testing.T) {
	var waited []time.Duration
	roll := 0.3
	h := mustHandler(t, Options{Version: Delayed, Rand: func() float64 { return roll },
		Wait: func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }})
	if code, _ := do(t, h, "GET", "/ratings/0", ""); code != 200 {
		t.Errorf("delayed: %d, want 200 after the delay", code)
	}
	roll = 0.9
	do(t, h, "GET", "/ratings/0", "")
	if len(waited) != 1 || waited[0] != 7*time.Second {
		t.Errorf("waited %v, want one 7s delay", waited)
	}
}

func TestRatingsUnavailableAndUnhealthyFlip(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	u := mustHandler(t, Options{Version: Unavailable, Now: clock})
	un := mustHandler(t, Options{Version: Unhealthy, Now: clock})
	for _, tc := range []struct {
		after         time.Duration
		unavailable   int
		unhealthy     int
		unhealthyPing int
	}{
		{0, 200, 200, 200},
		{61 * time.Second, 503, 200, 200},
		{121 * time.Second, 200, 200, 200},
		{16 * time.Minute, 200, 503, 500},
		{31 * time.Minute, 503, 200, 200},
	} {
		now = time.Unix(1000, 0).Add(tc.after)
		if code, _ := do(t, u, "GET", "/ratings/0", ""); code != tc.unavailable {
			t.Errorf("v-unavailable after %v: %d, want %d", tc.after, code, tc.unavailable)
		}
		if code, _ := do(t, un, "GET", "/ratings/0", ""); code != tc.unhealthy {
			t.Errorf("v-unhealthy after %v: %d, want %d", tc.after, code, tc.unhealthy)
		}
		if code, _ := do(t, un, "GET", "/health", ""); code != tc.unhealthyPing {
			t.Errorf("v-unhealthy /health after %v: %d, want %d", tc.after, code, tc.unhealthyPing)
		}
	}
}

func TestRatingsUnsupportedVersion(t *testing.T) {
	if _, err := NewHandler(Options{Version: "v2"}); err == nil || !strings.Contains(err.Error(), `"v2" is not supported`) {
		t.Errorf("v2: %v, want an error naming it", err)
	}
}
