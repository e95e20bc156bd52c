package bookinfo

import (
	"net/http"
	"slices"
	"testing"

	"github.com/meshctl/meshctl/sampleapps"
)

func TestForwardCopiesTracingAndUserHeaders(t *testing.T) {
	src := http.Header{}
	for _, h := range []string{"x-request-id", "x-b3-traceid", "b3", "traceparent", "end-user", "cookie", "sw8"} {
		src.Set(h, "v-"+h)
	}
	src.Add("tracestate", "a=1")
	src.Add("tracestate", "b=2")
	src.Set("x-not-forwarded", "no")
	src.Set("content-type", "text/plain")
	dst := http.Header{}
	Forward(dst, src)
	for _, h := range []string{"x-request-id", "x-b3-traceid", "b3", "traceparent", "end-user", "cookie", "sw8"} {
		if got := dst.Get(h); got != "v-"+h {
			t.Errorf("%s = %q, want %q", h, got, "v-"+h)
		}
	}
	if got := dst.Values("tracestate"); !slices.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("tracestate = %q, want both values", got)
	}
	for _, h := range []string{"x-not-forwarded", "content-type"} {
		if dst.Get(h) != "" {
			t.Errorf("%s forwarded", h)
		}
	}
}

func TestServiceURL(t *testing.T) {
	env := func(m map[string]string) sampleapps.Process {
		return sampleapps.Process{Getenv: func(k string) string { return m[k] }}
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "http://ratings:9080"},
		{map[string]string{"SERVICES_DOMAIN": "bookinfo.svc.cluster.local"}, "http://ratings.bookinfo.svc.cluster.local:9080"},
		{map[string]string{"RATINGS_HOSTNAME": "ratings-v2", "RATINGS_SERVICE_PORT": "8080"}, "http://ratings-v2:8080"},
		{map[string]string{"RATINGS_HOSTNAME": "::1"}, "http://[::1]:9080"},
	} {
		if got := ServiceURL(env(tc.env), "RATINGS", "ratings"); got != tc.want {
			t.Errorf("ServiceURL(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}
