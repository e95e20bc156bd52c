// Package proxytest builds proxy configurations and backends for the proxy's tests: an upstream that
// says who it is and what it received, clusters over them, and a running listener Manager.
package proxytest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
)

// Backend is an upstream HTTP server that answers with its name and what it received.
type Backend struct {
	Name     string
	Server   *httptest.Server
	Requests atomic.Int64
	// Handle, when set, answers instead; it runs after the request is counted.
	Handle func(w http.ResponseWriter, r *http.Request)
}

// NewBackend starts a backend on loopback; it stops when the test ends.
func NewBackend(t testing.TB, name string) *Backend {
	b := &Backend{Name: name}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	b.Server.Config.Protocols = p
	b.Server.Start()
	t.Cleanup(b.Server.Close)
	return b
}

// Headers a Backend answers with.
const (
	HeaderBackend = "X-Backend"
	HeaderPath    = "X-Seen-Path"
	HeaderHost    = "X-Seen-Host"
	HeaderProto   = "X-Seen-Proto"
	HeaderEcho    = "X-Seen-" // + a request header's name: its value
)

func (b *Backend) serve(w http.ResponseWriter, r *http.Request) {
	b.Requests.Add(1)
	if b.Handle != nil {
		b.Handle(w, r)
		return
	}
	Echo(b.Name)(w, r)
}

// Echo is a handler answering as a Backend named name does.
func Echo(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set(HeaderBackend, name)
		h.Set(HeaderPath, r.URL.RequestURI())
		h.Set(HeaderHost, r.Host)
		h.Set(HeaderProto, r.Proto)
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			h.Set(HeaderEcho+k, strings.Join(r.Header[k], ","))
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", name, r.URL.RequestURI(), body)
	}
}

// Addr is the backend's host:port.
func (b *Backend) Addr() string { return b.Server.Listener.Addr().String() }

// Cluster is a static cluster over the backends.
func Cluster(name string, backends ...*Backend) *ir.Cluster {
	c := &ir.Cluster{Name: name, Type: ir.ClusterStatic}
	for _, b := range backends {
		c.Endpoints = append(c.Endpoints, ir.Endpoint{Address: b.Addr(), Weight: 1})
	}
	return c
}

// Clusters indexes clusters by name.
func Clusters(cs ...*ir.Cluster) map[string]*ir.Cluster {
	m := map[string]*ir.Cluster{}
	for _, c := range cs {
		m[c.Name] = c
	}
	return m
}

// HTTPListener is a bound listener on 127.0.0.1 (port chosen by the kernel) serving the route table.
func HTTPListener(name string, rc *ir.RouteConfig) *ir.Listener {
	return &ir.Listener{
		Name: name, Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true,
		Chains: []*ir.FilterChain{{Name: "http", HTTP: &ir.HTTPManager{StatPrefix: name, Route: rc}}},
	}
}

// Routes is a route configuration with one virtual host for every domain.
func Routes(name string, routes ...*ir.Route) *ir.RouteConfig {
	return &ir.RouteConfig{Name: name, VirtualHosts: []*ir.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: routes}}}
}

// To is a route forwarding every path to one cluster.
func To(clusterName string) *ir.Route {
	return &ir.Route{Name: "to-" + clusterName, Match: ir.RouteMatch{PathKind: ir.PathPrefix, Path: "/"},
		Forward: &ir.Forward{Clusters: []ir.WeightedCluster{{Name: clusterName, Weight: 1}}}}
}

// Proxy is a running listener Manager with its access log captured.
type Proxy struct {
	*listener.Manager
	Log *LogBuffer
}

// Start runs a Manager with cfg applied; it stops when the test ends.
func Start(t testing.TB, cfg *ir.Config, opts listener.Options) *Proxy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logs := &LogBuffer{}
	opts.AccessLog = accesslog.NewLogger(logs)
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := listener.New(ctx, opts)
	t.Cleanup(m.Close)
	if err := m.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	return &Proxy{Manager: m, Log: logs}
}

// URL is http://address of the named listener.
func (p *Proxy) URL(t testing.TB, listenerName string) string {
	t.Helper()
	a, ok := p.Addrs()[listenerName]
	if !ok {
		t.Fatalf("no listener %s", listenerName)
	}
	return "http://" + a.String()
}

// Addr is the address of the named listener.
func (p *Proxy) Addr(t testing.TB, listenerName string) string {
	t.Helper()
	return strings.TrimPrefix(p.URL(t, listenerName), "http://")
}

// LogBuffer collects access log lines.
type LogBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// Lines are the lines so far.
func (l *LogBuffer) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// ClosedAddr is a loopback address where nothing listens: connecting fails at once. The port stays
// bound (a socket that never listens) until the test ends, so that no other test or process can
// listen on it meanwhile, as one could on a port that was only free for a moment.
func ClosedAddr(t testing.TB) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

// Response is what a test request got.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends req to the named listener (its URL's host is replaced) and reads the whole answer.
func (p *Proxy) Do(t testing.TB, listenerName string, req *http.Request) Response {
	t.Helper()
	req.URL.Scheme, req.URL.Host = "http", p.Addr(t, listenerName)
	resp, err := Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// Get is Do of a GET of path with the given Host and headers (name, value pairs).
func (p *Proxy) Get(t testing.TB, listenerName, host, path string, headers ...string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://x"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return p.Do(t, listenerName, req)
}

// Client never follows redirects: tests look at them.
var Client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
}

// WaitLog waits until the access log has n lines and returns them (log lines are written just after
// the response).
func (p *Proxy) WaitLog(t testing.TB, n int) []string {
	t.Helper()
	for i := 0; ; i++ {
		if lines := p.Log.Lines(); len(lines) >= n {
			return lines
		}
		if i > 2000 {
			t.Fatalf("the access log has %d lines, want %d", len(p.Log.Lines()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
