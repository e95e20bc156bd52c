package accesslog

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Info is what the proxy learnt about one request (or TCP connection) while serving it. The HTTP
// layers fill it in; the access log and the metrics read it when the request ends. One goroutine
// writes it at a time (the request's), except Flags, which layers set with SetFlags.
type Info struct {
	Start    time.Time
	Duration time.Duration

	// Request, downstream.
	Method, Path, OriginalPath, Protocol, Authority string
	ForwardedFor, UserAgent, RequestID              string
	BytesReceived, BytesSent                        int64
	DownstreamLocal, DownstreamRemote               netip.AddrPort
	ServerName                                      string

	// What the proxy did.
	Status          int
	Flags           Flags
	Details         string // %RESPONSE_CODE_DETAILS%: via_upstream, route_not_found, ...
	RouteName       string
	Cluster         string // %UPSTREAM_CLUSTER_RAW%
	UpstreamHost    string
	UpstreamLocal   string
	UpstreamFailure string // %UPSTREAM_TRANSPORT_FAILURE_REASON%
	UpstreamTime    time.Duration
	Attempts        int
	Inbound         bool
}

var infoPool = sync.Pool{New: func() any { return new(Info) }}

// New takes a cleared Info from the pool; Release returns it when the request is logged.
func New() *Info { return infoPool.Get().(*Info) }

// Release clears the Info and returns it to the pool.
func Release(i *Info) {
	*i = Info{}
	infoPool.Put(i)
}

// Fail records a local answer: its status, flags and details.
func (i *Info) Fail(status int, flags Flags, details string) {
	i.Status = status
	i.Flags |= flags
	i.Details = details
}

type ctxKey struct{}

// WithInfo attaches the Info to a request's context.
func WithInfo(ctx context.Context, i *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, i)
}

// FromContext returns the request's Info, or nil.
func FromContext(ctx context.Context) *Info {
	i, _ := ctx.Value(ctxKey{}).(*Info)
	return i
}

// FromRequest fills the downstream request fields.
func (i *Info) FromRequest(r *http.Request) {
	i.Method = r.Method
	i.Path = r.URL.RequestURI()
	i.Protocol = r.Proto
	i.Authority = r.Host
	i.ForwardedFor = r.Header.Get("X-Forwarded-For")
	i.UserAgent = r.Header.Get("User-Agent")
	i.RequestID = r.Header.Get("X-Request-Id")
}
