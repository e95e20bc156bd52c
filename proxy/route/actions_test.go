package route_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// failing answers 503 to its first n requests, then behaves.
func failing(b *proxytest.Backend, n int64, status int) {
	var count atomic.Int64
	b.Handle = func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1) <= n {
			w.WriteHeader(status)
			return
		}
		proxytest.Echo(b.Name)(w, r)
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name       string
		policy     ir.RetryPolicy
		failures   int64
		status     int
		wantStatus int
		wantFlags  accesslog.Flags
		wantTries  int64
	}{
		{"5xx recovers", ir.RetryPolicy{NumRetries: 2, On: ir.Retry5xx}, 2, 503, 200, 0, 3},
		{"retries exhausted: the last answer, URX", ir.RetryPolicy{NumRetries: 2, On: ir.Retry5xx}, 5, 503, 503, accesslog.UpstreamRetryLimitExceeded, 3},
		{"gateway-error covers 502", ir.RetryPolicy{NumRetries: 1, On: ir.RetryGatewayError}, 1, 502, 200, 0, 2},
		{"gateway-error leaves 500 alone", ir.RetryPolicy{NumRetries: 1, On: ir.RetryGatewayError}, 1, 500, 500, 0, 1},
		{"retriable-status-codes", ir.RetryPolicy{NumRetries: 1, On: ir.RetryStatusCodes, StatusCodes: []int{418}}, 1, 418, 200, 0, 2},
		{"retriable-4xx is 409", ir.RetryPolicy{NumRetries: 1, On: ir.RetryRetriable4xx}, 1, 409, 200, 0, 2},
		{"connect-failure does not retry a 503", ir.RetryPolicy{NumRetries: 1, On: ir.RetryConnectFailure}, 1, 503, 503, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := proxytest.NewBackend(t, "b")
			failing(b, c.failures, c.status)
			f := forward("b")
			f.Retry = &c.policy
			p := serveRoutes(t, []*ir.Route{route("r", prefix("/"), f)}, proxytest.Cluster("b", b))
			r := p.Get(t, "l", "b", "/")
			if r.Status != c.wantStatus {
				t.Errorf("status %d, want %d", r.Status, c.wantStatus)
			}
			if n := b.Requests.Load(); n != c.wantTries {
				t.Errorf("%d tries, want %d", n, c.wantTries)
			}
			if f := flagsOf(t, lastLine(t, p, 1)); f != c.wantFlags {
				t.Errorf("flags %v, want %v", f, c.wantFlags)
			}
		})
	}
}

// TestRetryGoesToAnotherEndpoint: one endpoint always fails; with the previous_hosts predicate a
// retry avoids the host it tried, even where consistent hashing would pick the same one again;
// without it the hash sends the retry back to the failing host, as Envoy does.
func TestRetryGoesToAnotherEndpoint(t *testing.T) {
	for _, avoid := range []bool{true, false} {
		bad, good := proxytest.NewBackend(t, "bad"), proxytest.NewBackend(t, "good")
		failing(bad, 1<<30, 503)
		f := forward("svc")
		f.Retry = &ir.RetryPolicy{NumRetries: 1, On: ir.Retry5xx, AvoidPreviousHosts: avoid, HostSelectionAttempts: 5}
		f.HashPolicies = []ir.HashPolicy{{Kind: ir.HashHeader, Name: "x-user"}}
		c := proxytest.Cluster("svc", bad, good)
		c.LB = ir.LBRingHash
		p := serveRoutes(t, []*ir.Route{route("r", prefix("/"), f)}, c)
		// 64 users: the endpoints' ports are random, so which users hash to the failing one
		// varies; with 20 none did about one run in a million.
		const users = 64
		failed := 0
		for i := 0; i < users; i++ {
			if r := p.Get(t, "l", "svc", "/", "x-user", fmt.Sprint("user-", i)); r.Status != 200 {
				failed++
			}
		}
		if bad.Requests.Load() == 0 {
			t.Fatal("no user hashed to the failing endpoint: the test proved nothing")
		}
		if avoid && failed > 0 {
			t.Errorf("previous_hosts: %d of %d users failed", failed, users)
		}
		if !avoid && failed == 0 {
			t.Error("without previous_hosts every retry still avoided the failing endpoint")
		}
	}
}

func TestRetryReplaysTheBody(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	failing(b, 1, 503)
	f := forward("b")
	f.Retry = &ir.RetryPolicy{NumRetries: 1, On: ir.Retry5xx}
	p := serveRoutes(t, []*ir.Route{route("r", prefix("/"), f)}, proxytest.Cluster("b", b))
	body := strings.Repeat("payload-", 5000)
	req, _ := http.NewRequest(http.MethodPost, "http://x/upload", strings.NewReader(body))
	r := p.Do(t, "l", req)
	if r.Status != 200 || r.Body != "b /upload "+body {
		t.Errorf("status %d, body of %d bytes, want the %d bytes sent", r.Status, len(r.Body), len(body))
	}
}

// hang answers only when the request is cancelled (never, as far as the proxy waits).
func hang(b *proxytest.Backend) {
	b.Handle = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
}

func TestRouteTimeoutIs504UT(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	hang(b)
	f := forward("b")
	f.Timeout = 50 * time.Millisecond
	p := serveRoutes(t, []*ir.Route{route("r", prefix("/"), f)}, proxytest.Cluster("b", b))
	r := p.Get(t, "l", "b", "/")
	if r.Status != http.StatusGatewayTimeout || r.Body != "upstream request timeout" {
		t.Errorf("status %d %q, want 504 upstream request timeout", r.Status, r.Body)
	}
	if f := flagsOf(t, lastLine(t, p, 1)); f != accesslog.UpstreamRequestTimeout {
		t.Errorf("flags %v, want UT", f)
	}
}

// TestPerTryTimeoutRetries: the first try hangs, the retry answers.
func TestPerTryTimeoutRetries(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	var n atomic.Int64
	b.Handle = func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		proxytest.Echo("b")(w, r)
	}
	f := forward("b")
	// A per-try timeout a loaded machine's second try cannot miss (50 ms could: then 504).
	f.Retry = &ir.RetryPolicy{NumRetries: 1, PerTryTimeout: time.Second, On: ir.Retry5xx}
	p := serveRoutes(t, []*ir.Route{route("r", prefix("/"), f)}, proxytest.Cluster("b", b))
	if r := p.Get(t, "l", "b", "/"); r.Status != 200 {
		t.Errorf("status %d, want 200 from the second try", r.Status)
	}
}

func TestFaults(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	delay := route("delay", prefix("/delay"), forward("b"))
	delay.Fault = &ir.Fault{Delay: time.Millisecond, DelayPerMillion: 1_000_000}
	abort := route("abort", prefix("/abort"), forward("b"))
	abort.Fault = &ir.Fault{AbortStatus: 418, AbortPerMillion: 1_000_000}
	never := route("never", prefix("/never"), forward("b"))
	never.Fault = &ir.Fault{AbortStatus: 500, AbortPerMillion: 0}
	p := serveRoutes(t, []*ir.Route{delay, abort, never}, proxytest.Cluster("b", b))

	if r := p.Get(t, "l", "b", "/delay"); r.Status != 200 {
		t.Errorf("delayed: status %d", r.Status)
	}
	if f := flagsOf(t, lastLine(t, p, 1)); f != accesslog.DelayInjected {
		t.Errorf("delayed: flags %v, want DI", f)
	}
	if r := p.Get(t, "l", "b", "/abort"); r.Status != 418 || r.Body != "fault filter abort" {
		t.Errorf("aborted: %d %q", r.Status, r.Body)
	}
	if f := flagsOf(t, lastLine(t, p, 2)); f != accesslog.FaultInjected {
		t.Errorf("aborted: flags %v, want FI", f)
	}
	if n := b.Requests.Load(); n != 1 {
		t.Errorf("the backend got %d requests, want 1 (the aborted one never reaches it)", n)
	}
	for i := 0; i < 20; i++ {
		if r := p.Get(t, "l", "b", "/never"); r.Status != 200 {
			t.Fatalf("a 0%% abort aborted: %d", r.Status)
		}
	}
}

func TestMirror(t *testing.T) {
	main, shadow := proxytest.NewBackend(t, "main"), proxytest.NewBackend(t, "shadow")
	got := make(chan string, 1)
	shadow.Handle = func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- r.Host + " " + r.URL.Path + " " + string(body)
	}
	f := forward("main")
	f.Mirrors = []ir.Mirror{{Cluster: "shadow", PerMillion: 1_000_000}}
	p := serveRoutes(t, []*ir.Route{route("r", prefix("/"), f)}, proxytest.Cluster("main", main), proxytest.Cluster("shadow", shadow))
	req, _ := http.NewRequest(http.MethodPost, "http://x/copy", strings.NewReader("hello"))
	req.Host = "httpbin:8000"
	if r := p.Do(t, "l", req); r.Status != 200 || r.Header.Get(proxytest.HeaderBackend) != "main" || r.Body != "main /copy hello" {
		t.Fatalf("the answer comes from the mirror? %d %v %q", r.Status, r.Header.Get(proxytest.HeaderBackend), r.Body)
	}
	if m := <-got; m != "httpbin-shadow:8000 /copy hello" {
		t.Errorf("the mirror got %q", m)
	}
}

func TestRewriteRedirectDirect(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	prefixRW := route("prefix", prefix("/old/"), forward("b"))
	prefixRW.Forward.PrefixRewrite, prefixRW.Forward.HasPrefixRewrite = "/new/", true
	regexRW := route("regex", prefix("/v1/"), forward("b"))
	regexRW.Forward.RegexRewrite = &ir.RegexRewrite{Pattern: regexp.MustCompile(`^/v1/(\w+)/(\w+)$`), Substitution: `/\2/\1`}
	hostRW := route("host", prefix("/host"), forward("b"))
	hostRW.Forward.HostRewrite = "internal.svc"
	redirect := &ir.Route{Name: "redirect", Match: prefix("/moved"), Redirect: &ir.Redirect{Host: "new.example.com", Path: "/here", Code: 302}}
	schemeRedirect := &ir.Route{Name: "https", Match: prefix("/secure"), Redirect: &ir.Redirect{Scheme: "https"}}
	direct := &ir.Route{Name: "direct", Match: prefix("/direct"), Direct: &ir.DirectResponse{Status: 418, Body: "teapot"}}
	p := serveRoutes(t, []*ir.Route{prefixRW, regexRW, hostRW, redirect, schemeRedirect, direct}, proxytest.Cluster("b", b))

	r := p.Get(t, "l", "b", "/old/path?q=1")
	if got := r.Header.Get(proxytest.HeaderPath); got != "/new/path?q=1" {
		t.Errorf("prefix rewrite: upstream saw %q", got)
	}
	if got := r.Header.Get(proxytest.HeaderEcho + "X-Envoy-Original-Path"); got != "/old/path?q=1" {
		t.Errorf("prefix rewrite: x-envoy-original-path %q", got)
	}
	if got := p.Get(t, "l", "b", "/v1/abc/def").Header.Get(proxytest.HeaderPath); got != "/def/abc" {
		t.Errorf("regex rewrite: upstream saw %q", got)
	}
	if got := p.Get(t, "l", "b", "/host").Header.Get(proxytest.HeaderHost); got != "internal.svc" {
		t.Errorf("host rewrite: upstream saw Host %q", got)
	}
	r = p.Get(t, "l", "old.example.com:8080", "/moved?x=1")
	if r.Status != 302 || r.Header.Get("Location") != "http://new.example.com:8080/here?x=1" {
		t.Errorf("redirect: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = p.Get(t, "l", "shop:80", "/secure")
	if r.Status != 301 || r.Header.Get("Location") != "https://shop/secure" {
		t.Errorf("scheme redirect: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = p.Get(t, "l", "b", "/direct")
	if r.Status != 418 || r.Body != "teapot" {
		t.Errorf("direct response: %d %q", r.Status, r.Body)
	}
	if n := b.Requests.Load(); n != 3 {
		t.Errorf("backend requests %d, want 3 (redirects and direct responses stay in the proxy)", n)
	}
}

func TestHeaderMutations(t *testing.T) {
	v1 := proxytest.NewBackend(t, "v1")
	r := route("r", prefix("/"), &ir.Forward{Clusters: []ir.WeightedCluster{{Name: "v1", Weight: 1, Headers: ir.Headers{
		Request:  ir.HeaderMutation{Set: []ir.Header{{Name: "x-cluster", Value: "v1"}}},
		Response: ir.HeaderMutation{Append: []ir.Header{{Name: "x-served-by", Value: "v1"}}},
	}}}})
	r.Headers = ir.Headers{
		Request: ir.HeaderMutation{
			Remove: []string{"x-secret"},
			Set:    []ir.Header{{Name: "x-set", Value: "route"}},
			Append: []ir.Header{{Name: "x-append", Value: "route"}},
		},
		Response: ir.HeaderMutation{Remove: []string{proxytest.HeaderProto}, Set: []ir.Header{{Name: "x-response", Value: "route"}}},
	}
	p := serveRoutes(t, []*ir.Route{r}, proxytest.Cluster("v1", v1))
	resp := p.Get(t, "l", "v1", "/", "x-secret", "s", "x-set", "client", "x-append", "client")
	want := map[string]string{
		proxytest.HeaderEcho + "X-Secret":  "",
		proxytest.HeaderEcho + "X-Set":     "route",
		proxytest.HeaderEcho + "X-Append":  "client,route",
		proxytest.HeaderEcho + "X-Cluster": "v1",
		proxytest.HeaderProto:              "",
		"X-Response":                       "route",
		"X-Served-By":                      "v1",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

func TestCORS(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	r := route("r", prefix("/"), forward("b"))
	r.CORS = &ir.CORS{
		AllowOrigins: []ir.StringMatch{exact("https://app.example.com"), {Kind: ir.StringPrefix, Value: "https://dev."}},
		AllowMethods: "GET,POST", AllowHeaders: "x-token", ExposeHeaders: "x-trace", MaxAge: "600", AllowCredentials: true,
	}
	p := serveRoutes(t, []*ir.Route{r}, proxytest.Cluster("b", b))

	pre := p.Do(t, "l", mustRequest(t, http.MethodOptions, "/", "Origin", "https://dev.example.com", "Access-Control-Request-Method", "POST"))
	if pre.Status != 200 || pre.Header.Get("Access-Control-Allow-Origin") != "https://dev.example.com" ||
		pre.Header.Get("Access-Control-Allow-Methods") != "GET,POST" || pre.Header.Get("Access-Control-Max-Age") != "600" ||
		pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight: %d %v", pre.Status, pre.Header)
	}
	if n := b.Requests.Load(); n != 0 {
		t.Errorf("the preflight reached the backend")
	}
	simple := p.Get(t, "l", "b", "/", "Origin", "https://app.example.com")
	if simple.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || simple.Header.Get("Access-Control-Expose-Headers") != "x-trace" {
		t.Errorf("simple request: %v", simple.Header)
	}
	other := p.Do(t, "l", mustRequest(t, http.MethodOptions, "/", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST"))
	if other.Header.Get("Access-Control-Allow-Origin") != "" || b.Requests.Load() != 2 {
		t.Errorf("a disallowed origin's preflight is forwarded untouched: %v, backend requests %d", other.Header, b.Requests.Load())
	}
}

func mustRequest(t *testing.T, method, path string, headers ...string) *http.Request {
	req, err := http.NewRequest(method, "http://x"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func TestUpstreamFailuresAndTheirFlags(t *testing.T) {
	held := proxytest.NewBackend(t, "held")
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	held.Handle = func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}
	limited := proxytest.Cluster("limited", held)
	limited.Limits = ir.Limits{MaxRequests: 1}
	down := &ir.Cluster{Name: "down", Type: ir.ClusterStatic, Endpoints: []ir.Endpoint{{Address: proxytest.ClosedAddr(t)}}}
	empty := &ir.Cluster{Name: "empty", Type: ir.ClusterEDS}
	p := serveRoutes(t, []*ir.Route{
		route("limited", prefix("/limited"), forward("limited")),
		route("down", prefix("/down"), forward("down")),
		route("empty", prefix("/empty"), forward("empty")),
		route("missing", prefix("/missing"), forward("no-such-cluster")),
	}, limited, down, empty)

	cases := []struct {
		path   string
		status int
		body   string
		flags  accesslog.Flags
	}{
		{"/down", 503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", accesslog.UpstreamConnectionFailure},
		{"/empty", 503, "no healthy upstream", accesslog.NoHealthyUpstream},
		{"/missing", 503, "", accesslog.NoClusterFound},
	}
	for i, c := range cases {
		r := p.Get(t, "l", "x", c.path)
		if r.Status != c.status || r.Body != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.path, r.Status, r.Body, c.status, c.body)
		}
		if f := flagsOf(t, lastLine(t, p, i+1)); f != c.flags {
			t.Errorf("%s: flags %v, want %v", c.path, f, c.flags)
		}
	}

	first := make(chan proxytest.Response)
	go func() { first <- p.Get(t, "l", "x", "/limited") }()
	<-entered
	r := p.Get(t, "l", "x", "/limited")
	if r.Status != 503 || !strings.HasSuffix(r.Body, "reset reason: overflow") {
		t.Errorf("beyond max_requests: %d %q, want 503 overflow", r.Status, r.Body)
	}
	if f := flagsOf(t, lastLine(t, p, len(cases)+1)); f != accesslog.UpstreamOverflow {
		t.Errorf("beyond max_requests: flags %v, want UO", f)
	}
	close(release)
	if r := <-first; r.Status != 200 {
		t.Errorf("the request within the limit: %d", r.Status)
	}
}
