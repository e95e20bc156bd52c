// Package bookinfo holds what the four bookinfo services share: the headers each one forwards from the
// request it serves to the requests it makes, and the port they listen on. The services themselves are
// the packages productpage, details, reviews and ratings.
package bookinfo

import (
	"net"
	"net/http"
	"strconv"

	"github.com/meshctl/meshctl/sampleapps"
)

// Port is where every bookinfo service listens, and the port of their Services.
const Port = 9080

// ForwardedHeaders are copied from an incoming request to the requests it causes, as the upstream
// services do: the mesh ties the spans of one trace together through them, and routing rules match on
// end-user (the logged-in user, set by productpage).
var ForwardedHeaders = []string{
	"x-request-id", // in access logs, and the key of consistent trace sampling
	// Zipkin B3, multi- and single-header forms
	"x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3",
	// W3C trace context
	"traceparent", "tracestate",
	// the other tracers Istio supports
	"x-ot-span-context",
	"x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority",
	"x-cloud-trace-context", "grpc-trace-bin",
	"sw8",
	// the application's own
	"end-user", "user-agent",
	"cookie", "authorization", "jwt",
}

// Forward copies the ForwardedHeaders present in src to dst.
func Forward(dst, src http.Header) {
	for _, h := range ForwardedHeaders {
		if v := src.Values(h); len(v) > 0 {
			dst[http.CanonicalHeaderKey(h)] = append([]string(nil), v...)
		}
	}
}

// ServiceURL is the base URL of another bookinfo service, from the variables upstream's services read:
// <NAME>_HOSTNAME (default host), SERVICES_DOMAIN (appended after a dot), <NAME>_SERVICE_PORT (default
// Port; Kubernetes sets it for a Service in the same namespace).
func ServiceURL(p sampleapps.Process, name, host string) string {
	host = p.Env(name+"_HOSTNAME", host)
	if d := p.Env("SERVICES_DOMAIN", ""); d != "" {
		host += "." + d
	}
	return "http://" + net.JoinHostPort(host, p.Env(name+"_SERVICE_PORT", strconv.Itoa(Port)))
}
