package route

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
)

// Envoy's bodies for its own answers, which users search for.
const (
	bodyNoHealthy = "no healthy upstream"
	bodyConnect   = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
	bodyReset     = "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
	bodyOverflow  = "upstream connect error or disconnect/reset before headers. reset reason: overflow"
	bodyTimeout   = "upstream request timeout"
	bodyFault     = "fault filter abort"
)

// localReply answers for the proxy itself, recording why.
func localReply(w http.ResponseWriter, r *http.Request, info *accesslog.Info, status int, flags accesslog.Flags, details, body string) {
	info.Flags |= flags
	info.Details = details
	if isGRPC(r) {
		grpcReply(w, info, status, body)
		return
	}
	writeLocal(w, info, status, body)
}

func writeLocal(w http.ResponseWriter, info *accesslog.Info, status int, body string) {
	h := w.Header()
	if body != "" {
		h.Set("Content-Type", "text/plain")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	info.Status = status
	if body != "" {
		_, _ = io.WriteString(w, body)
	}
}

func isGRPC(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc")
}

// grpcReply answers a gRPC request as Envoy does: HTTP 200 with the status in grpc-status, mapped from
// the HTTP status (a trailers-only response).
func grpcReply(w http.ResponseWriter, info *accesslog.Info, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Set("Grpc-Status", strconv.Itoa(grpcStatus(status)))
	if msg != "" {
		h.Set("Grpc-Message", msg)
	}
	w.WriteHeader(http.StatusOK)
	info.Status = http.StatusOK
}

// grpcStatus maps an HTTP status to a gRPC code as gRPC's spec (and Envoy) do.
func grpcStatus(status int) int {
	switch status {
	case 400:
		return 13 // INTERNAL
	case 401:
		return 16 // UNAUTHENTICATED
	case 403:
		return 7 // PERMISSION_DENIED
	case 404:
		return 12 // UNIMPLEMENTED
	case 429, 502, 503, 504:
		return 14 // UNAVAILABLE
	}
	return 2 // UNKNOWN
}

func redirectTo(w http.ResponseWriter, r *http.Request, info *accesslog.Info, location string, code int) {
	if code == 0 {
		code = http.StatusMovedPermanently
	}
	w.Header().Set("Location", location)
	info.Details = "direct_response"
	writeLocal(w, info, code, "")
}

// redirectURL is the request's URL with the redirect's parts replaced.
func redirectURL(rd *ir.Redirect, r *http.Request) string {
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	if rd.Scheme != "" {
		u.Scheme = rd.Scheme
	}
	host, port := stripPort(u.Host), ""
	if len(host) < len(u.Host) {
		port = u.Host[len(host)+1:]
	}
	if rd.Host != "" {
		host = rd.Host
	}
	if rd.Port != 0 {
		port = strconv.Itoa(int(rd.Port))
	}
	if rd.Scheme != "" && rd.Port == 0 {
		port = "" // a scheme change drops the old scheme's port, as Envoy does
	}
	u.Host = host
	if port != "" {
		u.Host += ":" + port
	}
	if rd.Path != "" {
		p, q, hasQuery := strings.Cut(rd.Path, "?")
		u.Path = p
		if hasQuery {
			u.RawQuery = q
		}
	}
	return u.String()
}

// LocalReply answers for the proxy itself (a gRPC request in gRPC's form), recording why: for the
// filters that refuse a request before routing (jwt_authn, RBAC).
func LocalReply(w http.ResponseWriter, r *http.Request, info *accesslog.Info, status int, flags accesslog.Flags, details, body string) {
	localReply(w, r, info, status, flags, details, body)
}
