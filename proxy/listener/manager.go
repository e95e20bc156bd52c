// Package listener is the proxy's downstream side: it binds the configured listeners, accepts
// connections, restores their original destination (SO_ORIGINAL_DST) and hands them to the listener
// of that destination, sniffs the protocol where the configuration asks, picks the filter chain, and
// serves it: HTTP through one net/http server (HTTP/1.1 and HTTP/2 cleartext) into the chain's route
// table, other TCP through the TCP proxy.
//
// Manager.Apply compiles an ir.Config into an immutable snapshot and swaps it in atomically;
// connections and requests read the snapshot without locks.
package listener

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/route"
	"github.com/meshctl/meshctl/proxy/tlsconf"
)

// Defaults, Envoy's and Istio's where they have one.
const (
	// DefaultSniffTimeout is how long a client has to send its first bytes where the protocol must be
	// sniffed; after it the connection is opaque TCP (a server-first protocol).
	DefaultSniffTimeout = 100 * time.Millisecond
	// DefaultReadHeaderTimeout bounds how long a client may take to send request headers (slowloris).
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout closes idle downstream HTTP connections (Envoy's idle_timeout).
	DefaultIdleTimeout = time.Hour
	// DefaultMaxHeaderBytes is Envoy's max_request_headers_kb: larger headers get 431.
	DefaultMaxHeaderBytes = 60 << 10
)

// Options configure a Manager; zero values take the defaults.
type Options struct {
	Log               *slog.Logger
	AccessLog         *accesslog.Logger // nil: no access log
	SniffTimeout      time.Duration
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// OriginalDst reads a connection's original destination; the default asks the kernel
	// (SO_ORIGINAL_DST). Tests replace it to simulate redirection.
	OriginalDst func(*net.TCPConn) (netip.AddrPort, error)
	// Observe sees every finished request and TCP connection (metrics); may be nil.
	Observe func(*accesslog.Info)
	// OpenAccessLog opens the files the configuration's access logs name; default OpenAccessLog.
	OpenAccessLog func(path string) (io.Writer, error)
	// DrainPorts are the ports whose listeners stop accepting when draining starts (the inbound
	// capture port: callers are told the workload is going away, while its own calls still work).
	DrainPorts []uint16
	// Secrets resolve the SDS names of TLS settings (the workload certificate and the mesh's roots,
	// from the proxy's agent); nil: chains and clusters that name one stay warming.
	Secrets tlsconf.Secrets
}

// Manager serves the listeners of the current configuration.
type Manager struct {
	opts Options
	log  *slog.Logger
	// secrets are the agent's (opts.Secrets) and the configuration's SDS secrets: what chains and
	// clusters resolve at each handshake.
	secrets  *tlsconf.Store
	ctx      context.Context
	clusters *cluster.Manager
	mirror   *route.Mirrorer
	current  atomic.Pointer[snapshot]
	srv      *http.Server
	httpLn   *chanListener
	Stats    Stats

	mu      sync.Mutex // Apply, sockets
	sockets map[netip.AddrPort]net.Listener
	tcp     map[net.Conn]struct{}
	active  atomic.Int64 // downstream connections open
	logs    *accessLogs
	// draining is set once Drain has told the HTTP server to close connections after their request.
	draining atomic.Bool
	applied  atomic.Bool

	h1mu     sync.Mutex // h1conns, h1closed
	h1conns  map[*h1conn]struct{}
	h1closed bool
}

// Stats are the downstream counters, Envoy's http.*/listener.* names without the prefix.
type Stats struct {
	CxTotal, RqTotal, Rq1xx, Rq2xx, Rq3xx, Rq4xx, Rq5xx atomic.Int64
	SSLHandshakeFail                                    atomic.Int64 // listener.ssl.connection_error
	// RBACDenied counts requests and connections RBAC refused (Envoy's rbac.denied), RBACAudited
	// those a LOG (AUDIT) policy matched, JWTDenied requests refused for their token (401).
	RBACDenied, RBACAudited, JWTDenied atomic.Int64
}

// New starts a Manager with no configuration; it serves until ctx ends or Close.
func New(ctx context.Context, opts Options) *Manager {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.SniffTimeout <= 0 {
		opts.SniffTimeout = DefaultSniffTimeout
	}
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.OriginalDst == nil {
		opts.OriginalDst = OriginalDst
	}
	if opts.OpenAccessLog == nil {
		opts.OpenAccessLog = OpenAccessLog
	}
	m := &Manager{
		opts: opts, log: opts.Log, ctx: ctx,
		clusters: cluster.NewManager(ctx, opts.Log),
		mirror:   route.NewMirrorer(ctx, opts.Log),
		sockets:  map[netip.AddrPort]net.Listener{},
		tcp:      map[net.Conn]struct{}{},
		httpLn:   newChanListener(),
		h1conns:  map[*h1conn]struct{}{},
		logs:     &accessLogs{open: opts.OpenAccessLog},
	}
	m.secrets = tlsconf.NewStore(opts.Secrets)
	m.clusters.Secrets = m.secrets
	m.current.Store(&snapshot{cfg: &ir.Config{}, routes: map[string]*route.Table{}, listeners: map[string]*listener{},
		bound: map[netip.AddrPort]*listener{}, byAddr: map[netip.AddrPort]*listener{}, byPort: map[uint16]*listener{}})
	m.srv = m.newHTTPServer()
	go func() { _ = m.srv.Serve(m.httpLn) }()
	go func() {
		<-ctx.Done()
		m.Close()
	}()
	return m
}

// Apply makes cfg the configuration: it compiles it, binds the listeners it adds, swaps it in and
// closes the listeners it dropped (their open connections go on). A configuration that does not
// compile changes nothing; one whose listener cannot bind has its clusters applied already, as Envoy
// applies CDS before LDS.
func (m *Manager) Apply(cfg *ir.Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	// The SDS secrets first: which chains and clusters are warming depends on them. A
	// configuration refused below puts the previous ones back.
	prevSecrets := m.secrets.Snapshot()
	if err := m.secrets.Set(cfg.Secrets); err != nil {
		return err
	}
	restore := func(err error) error {
		m.secrets.Restore(prevSecrets)
		return err
	}
	// Compile once without clusters first: the cluster manager replaces and closes clusters, which
	// the configuration in service must keep when the new one is refused.
	if _, err := compile(cfg, nil, route.Options{Log: m.log}, m.logs.get, m.secrets); err != nil {
		return restore(err)
	}
	clusters := m.clusters.Update(cfg.Clusters)
	snap, err := compile(cfg, clusters, route.Options{Mirror: m.mirror, Log: m.log}, m.logs.get, m.secrets)
	if err != nil {
		return restore(err)
	}
	var added []netip.AddrPort
	for addr := range snap.bound {
		if _, ok := m.sockets[addr]; ok {
			continue
		}
		ln, err := listen(addr)
		if err != nil {
			for _, a := range added {
				m.sockets[a].Close()
				delete(m.sockets, a)
			}
			return fmt.Errorf("listener %s: %w", snap.bound[addr].cfg.Name, err)
		}
		m.sockets[addr] = ln
		added = append(added, addr)
	}
	m.current.Store(snap)
	for _, addr := range added {
		go m.accept(m.sockets[addr], addr)
	}
	for addr, ln := range m.sockets {
		if _, ok := snap.bound[addr]; !ok {
			ln.Close()
			delete(m.sockets, addr)
		}
	}
	m.applied.Store(true)
	return nil
}

// listen binds an address; 0.0.0.0 means both IPv4 and IPv6, as the capture redirects both.
func listen(addr netip.AddrPort) (net.Listener, error) {
	network, host := "tcp", addr.String()
	if addr.Addr() == netip.IPv4Unspecified() {
		host = fmt.Sprintf(":%d", addr.Port())
	}
	return net.Listen(network, host)
}

// Applied reports whether a configuration was applied: the proxy is ready.
func (m *Manager) Applied() bool { return m.applied.Load() }

// Config is the configuration being served.
func (m *Manager) Config() *ir.Config { return m.current.Load().cfg }

// Clusters are the running clusters by name.
func (m *Manager) Clusters() map[string]*cluster.Cluster { return m.current.Load().clusters }

// Addrs are the addresses listened on, with the listeners' names.
func (m *Manager) Addrs() map[string]net.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	snap := m.current.Load()
	out := map[string]net.Addr{}
	for addr, ln := range m.sockets {
		if l := snap.bound[addr]; l != nil {
			out[l.cfg.Name] = ln.Addr()
		}
	}
	return out
}

// ActiveConnections is the number of open downstream connections.
func (m *Manager) ActiveConnections() int64 { return m.active.Load() }

// Draining reports whether Drain has begun: from then on every response closes its connection.
func (m *Manager) Draining() bool { return m.draining.Load() }

func (m *Manager) accept(ln net.Listener, bound netip.AddrPort) {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			m.log.Warn("accept failed", "address", bound, "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		m.Stats.CxTotal.Add(1)
		go m.handle(c.(*net.TCPConn), bound)
	}
}

// handle finds the listener and chain of a new connection and serves it.
func (m *Manager) handle(c *net.TCPConn, bound netip.AddrPort) {
	snap := m.current.Load()
	l := snap.bound[bound]
	if l == nil {
		c.Close()
		return
	}
	local, remote := addrPort(c.LocalAddr()), addrPort(c.RemoteAddr())
	dst := local
	redirected := false
	if l.restoreOrigDst {
		if od, err := m.opts.OriginalDst(c); err == nil && od != local {
			dst, redirected = od, true
		}
	}
	if l.cfg.UseOriginalDst {
		if t := snap.dispatch(dst); t != nil {
			l = t
		}
	}
	var conn net.Conn = c
	s := sniffed{transport: ir.TransportRaw}
	if l.sniffs(dst.Port()) {
		conn, s = sniff(c, m.opts.SniffTimeout, l.cfg.InspectTLS, l.cfg.InspectHTTP)
	}
	ch := matchChain(l.chains, dst, s)
	if ch == nil {
		ch = l.def
	}
	if ch == nil {
		m.log.Debug("no filter chain matches; closing", "listener", l.cfg.Name, "destination", dst)
		c.Close()
		return
	}
	st := &connState{chain: ch, local: local, remote: remote, sni: s.sni, dst: dst}
	if ch.tls != nil {
		tc, err := m.terminateTLS(conn, ch)
		if err != nil {
			m.log.Debug("TLS handshake failed; closing", "listener", l.cfg.Name, "chain", ch.cfg.Name, "remote", remote, "err", err)
			c.Close()
			return
		}
		conn = tc
		cs := tc.ConnectionState()
		st.principal = tlsconf.Principal(&cs)
		if len(cs.PeerCertificates) > 0 {
			st.peer = cs.PeerCertificates[0]
		}
	}
	st.rconn.Remote = remote
	st.rconn.RemoteIP = remote.Addr().Unmap().String()
	if redirected {
		// A connection that was not redirected has no other destination: an ORIGINAL_DST cluster
		// would connect back to the proxy itself.
		st.rconn.OrigDst = dst
	}
	if ch.cfg.HTTP != nil {
		st.rconn.UseRemoteAddress = ch.cfg.HTTP.UseRemoteAddress
		m.active.Add(1)
		m.serveHTTP1(conn, st, m)
		return
	}
	m.serveTCP(conn, st)
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// Drain stops accepting on the DrainPorts, asks HTTP clients to close their connections after their
// current request, and waits until every downstream connection is gone or ctx ends.
func (m *Manager) Drain(ctx context.Context) {
	m.srv.SetKeepAlivesEnabled(false)
	m.draining.Store(true)
	m.closeH1(false)
	m.mu.Lock()
	for addr, ln := range m.sockets {
		for _, p := range m.opts.DrainPorts {
			if addr.Port() == p {
				ln.Close()
				delete(m.sockets, addr)
			}
		}
	}
	m.mu.Unlock()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for m.active.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops everything at once: listeners, HTTP connections, TCP connections.
func (m *Manager) Close() {
	m.mu.Lock()
	for addr, ln := range m.sockets {
		ln.Close()
		delete(m.sockets, addr)
	}
	for c := range m.tcp {
		c.Close()
	}
	m.mu.Unlock()
	m.httpLn.Close()
	m.closeH1(true)
	m.srv.Close()
	m.logs.close()
}
