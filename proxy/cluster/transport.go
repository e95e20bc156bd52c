package cluster

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Envoy's defaults for what the configuration leaves out.
const (
	defaultConnectTimeout = 5 * time.Second
	defaultIdleTimeout    = time.Hour
	// maxIdlePerHost keeps enough idle connections to an endpoint for a busy client's concurrency;
	// Envoy keeps every one it opened.
	maxIdlePerHost = 1024
	bufferSize     = 32 << 10
)

// transport is the cluster's connection pool: an http.Transport whose dialer applies the cluster's
// connect timeout, source address and keepalive, and reports connection failures as ConnectError.
type transport struct {
	c    *Cluster
	http *http.Transport // HTTP/2 clusters
	h1   *h1Pool         // HTTP/1.1 clusters
	dial net.Dialer
}

func newTransport(c *Cluster) *transport {
	cfg := c.cfg
	t := &transport{c: c}
	t.dial.Timeout = cfg.ConnectTimeout
	if t.dial.Timeout <= 0 {
		t.dial.Timeout = defaultConnectTimeout
	}
	if ka := cfg.Keepalive; ka != nil {
		t.dial.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: ka.Time, Interval: ka.Interval, Count: ka.Probes}
	}
	idle := cfg.IdleTimeout
	if idle <= 0 {
		idle = defaultIdleTimeout
	}
	protocols := new(http.Protocols)
	if cfg.HTTP2 || cfg.DownstreamProtocol {
		protocols.SetUnencryptedHTTP2(true)
	} else {
		protocols.SetHTTP1(true)
	}
	t.http = &http.Transport{
		Proxy:               nil, // never the environment's HTTP_PROXY: the mesh is the proxy
		DialContext:         t.dialContext,
		MaxIdleConnsPerHost: maxIdlePerHost,
		IdleConnTimeout:     idle,
		DisableCompression:  true, // a proxy passes the client's Accept-Encoding, it adds none
		DisableKeepAlives:   cfg.MaxRequestsPerConnection == 1,
		MaxConnsPerHost:     cfg.Limits.MaxConnections,
		WriteBufferSize:     bufferSize,
		ReadBufferSize:      bufferSize,
		Protocols:           protocols,
	}
	if cfg.HTTP2 || cfg.DownstreamProtocol {
		t.http.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 1 << 20}
	}
	if !cfg.HTTP2 {
		t.h1 = newH1Pool(c, idle, cfg.MaxRequestsPerConnection == 1)
	}
	return t
}

// RoundTripperFor is the connection pool for a downstream request: the cluster's, or, where the
// cluster follows the downstream protocol, HTTP/2 for HTTP/2 requests and HTTP/1.1 for the rest.
func (c *Cluster) RoundTripperFor(downstream *http.Request) http.RoundTripper {
	if c.cfg.DownstreamProtocol && downstream.ProtoMajor == 2 {
		return c.transport.http
	}
	return c.RoundTripper()
}

// RoundTripper is the cluster's connection pool; requests' URLs name the endpoint.
func (c *Cluster) RoundTripper() http.RoundTripper {
	if c.transport.h1 != nil {
		return c.transport.h1
	}
	return c.transport.http
}

func (t *transport) closeIdle() {
	t.http.CloseIdleConnections() // HTTP/2 clusters, and HTTP/2 requests of downstream-protocol ones
	if t.h1 != nil {
		t.h1.closeIdle(true)
	}
}

func (t *transport) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return t.c.dialAddr(ctx, network, addr)
}

// Dial connects to host h for an opaque TCP connection.
func (c *Cluster) Dial(ctx context.Context, h *Host) (net.Conn, error) {
	return c.dialAddr(ctx, "tcp", h.Addr)
}

func (c *Cluster) dialAddr(ctx context.Context, network, addr string) (net.Conn, error) {
	d := c.transport.dial // a copy: LocalAddr depends on the address family
	if bind := c.cfg.BindAddress; bind.IsValid() {
		if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().Unmap().Is4() == bind.Is4() {
			d.LocalAddr = &net.TCPAddr{IP: bind.AsSlice()}
		}
	}
	conn, err := d.DialContext(ctx, network, addr)
	c.Stats.CxTotal.Add(1)
	if err != nil {
		c.Stats.CxConnectFail.Add(1)
		return nil, &ConnectError{Addr: addr, Err: err}
	}
	if cfg := c.tlsFor(addr); cfg != nil {
		if conn, err = c.handshake(ctx, conn, cfg, d.Timeout); err != nil {
			c.Stats.CxConnectFail.Add(1)
			return nil, &ConnectError{Addr: addr, Err: err}
		}
	}
	c.Stats.CxActive.Add(1)
	h := c.hosts.Load().byAddr[addr]
	if h != nil {
		h.cxActive.Add(1)
	}
	return &countedConn{Conn: conn, c: c, h: h}, nil
}

// countedConn keeps the active connection counters.
type countedConn struct {
	net.Conn
	c    *Cluster
	h    *Host
	once sync.Once
}

func (cc *countedConn) Close() error {
	cc.once.Do(func() {
		cc.c.Stats.CxActive.Add(-1)
		if cc.h != nil {
			cc.h.cxActive.Add(-1)
		}
	})
	return cc.Conn.Close()
}

// CloseWrite half-closes when the connection supports it (TCP proxying).
func (cc *countedConn) CloseWrite() error {
	if cw, ok := cc.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// TCPConn is the underlying TCP connection, for splice.
func (cc *countedConn) TCPConn() *net.TCPConn {
	tc, _ := cc.Conn.(*net.TCPConn)
	return tc
}
