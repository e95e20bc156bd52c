package ca

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
)

// countingReviews is a TokenReview client that counts its calls: it accepts every token for the asked
// audiences as ns1/sa1, except tokens containing "bad" (not authenticated) and "down" (an API error).
type countingReviews struct {
	authnclient.TokenReviewInterface
	calls atomic.Int64
}

func (r *countingReviews) Create(_ context.Context, tr *authnv1.TokenReview, _ metav1.CreateOptions) (*authnv1.TokenReview, error) {
	r.calls.Add(1)
	out := tr.DeepCopy()
	switch tok := tr.Spec.Token; {
	case strings.Contains(tok, "down"):
		return nil, errors.New("connection refused")
	case strings.Contains(tok, "bad"):
		out.Status = authnv1.TokenReviewStatus{Error: "invalid bearer token"}
	default:
		out.Status = authnv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences,
			User: authnv1.UserInfo{Username: "system:serviceaccount:ns1:sa1"}}
	}
	return out, nil
}

// jwt is an unsigned JWT-shaped token named name, expiring at exp (zero: no exp claim).
func jwt(name string, exp time.Time) string {
	claims := fmt.Sprintf(`{"sub":%q}`, name)
	if !exp.IsZero() {
		claims = fmt.Sprintf(`{"sub":%q,"exp":%d}`, name, exp.Unix())
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + "." + name
}

func TestTokenCache(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	hour := t0.Add(time.Hour)
	type call struct {
		token, audience string
		at              time.Duration // after t0
		ok              bool          // authenticated
	}
	for _, tc := range []struct {
		name      string
		size      int
		calls     []call
		wantCalls int64
		wantLen   int
	}{
		{"same token twice: one review", 0, []call{
			{jwt("a", hour), "istio-ca", 0, true}, {jwt("a", hour), "istio-ca", time.Minute, true}}, 1, 1},
		{"after the token's exp: asked again", 0, []call{
			{jwt("a", t0.Add(time.Minute)), "istio-ca", 0, true}, {jwt("a", t0.Add(time.Minute)), "istio-ca", time.Minute, true}}, 2, 0},
		{"just before the token's exp: cached", 0, []call{
			{jwt("a", t0.Add(time.Minute)), "istio-ca", 0, true}, {jwt("a", t0.Add(time.Minute)), "istio-ca", time.Minute - time.Second, true}}, 1, 1},
		{"after the max TTL: asked again", 0, []call{
			{jwt("a", hour), "istio-ca", 0, true}, {jwt("a", hour), "istio-ca", 5 * time.Minute, true}}, 2, 1},
		{"no exp claim: the max TTL", 0, []call{
			{"opaque", "istio-ca", 0, true}, {"opaque", "istio-ca", 4 * time.Minute, true}, {"opaque", "istio-ca", 9 * time.Minute, true}}, 2, 1},
		{"exp already past (clock skew): not cached", 0, []call{
			{jwt("a", t0.Add(-time.Second)), "istio-ca", 0, true}, {jwt("a", t0.Add(-time.Second)), "istio-ca", 0, true}}, 2, 0},
		{"another token: asked", 0, []call{
			{jwt("a", hour), "istio-ca", 0, true}, {jwt("b", hour), "istio-ca", 0, true}}, 2, 2},
		{"another audience: asked", 0, []call{
			{jwt("a", hour), "istio-ca", 0, true}, {jwt("a", hour), "other-ca", 0, true}, {jwt("a", hour), "istio-ca", 0, true}}, 2, 2},
		{"a failed review is asked again", 0, []call{
			{jwt("bad", hour), "istio-ca", 0, false}, {jwt("bad", hour), "istio-ca", 0, false}}, 2, 0},
		{"an API error is asked again", 0, []call{
			{jwt("down", hour), "istio-ca", 0, false}, {jwt("down", hour), "istio-ca", 0, false}}, 2, 0},
		{"full: the oldest goes", 2, []call{
			{jwt("a", hour), "istio-ca", 0, true}, {jwt("b", hour), "istio-ca", 0, true}, {jwt("c", hour), "istio-ca", 0, true},
			{jwt("b", hour), "istio-ca", 0, true}, {jwt("c", hour), "istio-ca", 0, true}, {jwt("a", hour), "istio-ca", 0, true}}, 4, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMetrics(nil)
			if err != nil {
				t.Fatal(err)
			}
			cache := NewTokenCache(5*time.Minute, tc.size, m)
			var now time.Time
			cache.now = func() time.Time { return now }
			reviews := &countingReviews{}
			for i, c := range tc.calls {
				now = t0.Add(c.at)
				a := &Authenticator{Reviews: reviews, Audience: c.audience, Cache: cache}
				caller, err := a.Authenticate(withToken(c.token))
				if c.ok != (err == nil) {
					t.Fatalf("call %d: err %v, want ok %v", i, err, c.ok)
				}
				if c.ok && caller != (Caller{Namespace: "ns1", ServiceAccount: "sa1"}) {
					t.Fatalf("call %d: caller %+v", i, caller)
				}
			}
			if got := reviews.calls.Load(); got != tc.wantCalls {
				t.Errorf("%d token reviews, want %d", got, tc.wantCalls)
			}
			if got := cache.Len(); got != tc.wantLen {
				t.Errorf("%d entries, want %d", got, tc.wantLen)
			}
			hits, misses := counterValue(t, m.TokenCacheHits), counterValue(t, m.TokenCacheMisses)
			if int64(misses) != tc.wantCalls || int(hits+misses) != len(tc.calls) {
				t.Errorf("hits %v misses %v, want %d misses of %d lookups", hits, misses, tc.wantCalls, len(tc.calls))
			}
		})
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}

// TestTokenCacheKeepsNoToken: the cache holds hashes, never the token's bytes.
func TestTokenCacheKeepsNoToken(t *testing.T) {
	cache := NewTokenCache(0, 0, nil)
	token := jwt("secret-token", time.Now().Add(time.Hour))
	a := &Authenticator{Reviews: &countingReviews{}, Cache: cache}
	if _, err := a.Authenticate(withToken(token)); err != nil {
		t.Fatal(err)
	}
	for el := cache.order.Front(); el != nil; el = el.Next() {
		e := el.Value.(*tokenEntry)
		if strings.Contains(fmt.Sprintf("%+v", *e), "secret-token") || slices.Contains([]string{e.caller.Namespace, e.caller.ServiceAccount}, token) {
			t.Fatalf("entry holds the token: %+v", *e)
		}
		if e.key != keyOf("istio-ca", token) {
			t.Fatalf("key %x is not SHA-256 of the audience and token", e.key)
		}
	}
	// The audience's length is in the key: "ab" + "c" and "a" + "bc" are two keys.
	if keyOf("ab", "c") == keyOf("a", "bc") {
		t.Error("keyOf(ab, c) == keyOf(a, bc)")
	}
}

// TestTokenCacheConcurrent is for the race detector: many goroutines on few tokens and a small cache.
func TestTokenCacheConcurrent(t *testing.T) {
	cache := NewTokenCache(time.Minute, 4, nil)
	reviews := &countingReviews{}
	a := &Authenticator{Reviews: reviews, Cache: cache}
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if _, err := a.Authenticate(withToken(jwt(fmt.Sprint((g+i)%6), exp))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := cache.Len(); n > 4 {
		t.Errorf("%d entries in a cache of 4", n)
	}
	if n := reviews.calls.Load(); n >= 8*200 {
		t.Errorf("%d reviews for %d calls: nothing cached", n, 8*200)
	}
}

func TestTokenExpiry(t *testing.T) {
	exp := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{jwt("a", exp), true},
		{jwt("a", time.Time{}), false},
		{"a.b", false},
		{"a.!!!.c", false},
		{"a." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":"soon"}`)) + ".c", false},
		{"a." + base64.RawURLEncoding.EncodeToString([]byte(`not json`)) + ".c", false},
	} {
		got, ok := tokenExpiry(tc.token)
		if ok != tc.ok || (ok && !got.Equal(exp)) {
			t.Errorf("tokenExpiry(%q) = %v, %v; want ok %v", tc.token, got, ok, tc.ok)
		}
	}
}

// BenchmarkAuthenticate is one CSR's authentication with the token's review cached and not (a fake
// TokenReview client: the API server's own time is not in it).
func BenchmarkAuthenticate(b *testing.B) {
	token := jwt("bench", time.Now().Add(time.Hour))
	ctx := withToken(token)
	for _, bc := range []struct {
		name  string
		cache *TokenCache
	}{{"no-cache", nil}, {"miss", NewTokenCache(0, 0, nil)}, {"hit", NewTokenCache(0, 0, nil)}} {
		b.Run(bc.name, func(b *testing.B) {
			reviews := &countingReviews{}
			a := &Authenticator{Reviews: reviews, Cache: bc.cache}
			if bc.name == "hit" {
				if _, err := a.Authenticate(ctx); err != nil {
					b.Fatal(err)
				}
				reviews.calls.Store(0)
			}
			b.ReportAllocs()
			for b.Loop() {
				if bc.name == "miss" {
					bc.cache.mu.Lock()
					clear(bc.cache.entries)
					bc.cache.order.Init()
					bc.cache.mu.Unlock()
				}
				if _, err := a.Authenticate(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(reviews.calls.Load())/float64(b.N), "reviews/op")
		})
	}
}
