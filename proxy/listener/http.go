package listener

import (
	"context"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/route"
)

// connState is what the listener learnt about a connection, for each of its requests.
type connState struct {
	chain         *chain
	rconn         route.Conn
	local, remote netip.AddrPort
	sni           string
	// principal is the peer's identity on a TLS chain (its certificate's SPIFFE URI without
	// spiffe://, cluster.local/ns/default/sa/sleep: Istio's source.principal); "" otherwise.
	principal string
	peer      *x509.Certificate // the peer's certificate on a TLS chain
	// dst is the connection's original destination (RBAC's destination address and port).
	dst netip.AddrPort
}

type stateKey struct{}

// httpConn carries its state through http.Server to the handler (ConnContext).
type httpConn struct {
	net.Conn
	state *connState
	// pending are bytes the fast path read before it handed the connection over (h1conn.go).
	pending []byte
}

func (c *httpConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite lets http.Server half-close as it does on its own TCP connections.
func (c *httpConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (m *Manager) newHTTPServer() *http.Server {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:                      m,
		Protocols:                    protocols,
		ReadHeaderTimeout:            m.opts.ReadHeaderTimeout,
		IdleTimeout:                  m.opts.IdleTimeout,
		MaxHeaderBytes:               m.opts.MaxHeaderBytes,
		DisableGeneralOptionsHandler: true,
		HTTP2:                        &http.HTTP2Config{MaxConcurrentStreams: 1024},
		ErrorLog:                     slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if hc, ok := c.(*httpConn); ok {
				return context.WithValue(ctx, stateKey{}, hc.state)
			}
			return ctx
		},
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				m.active.Add(-1)
			}
		},
	}
}

// request is the per-request state, pooled: what the access log reads and the writer that counts.
type request struct {
	info accesslog.Info
	w    responseWriter
}

var requests = sync.Pool{New: func() any { return new(request) }}

// ServeHTTP serves one request of a connection the listener accepted.
func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st, _ := r.Context().Value(stateKey{}).(*connState)
	if st == nil {
		http.Error(w, "not a proxied connection", http.StatusMisdirectedRequest)
		return
	}
	rq := requests.Get().(*request)
	info := &rq.info
	info.Start = time.Now()
	rq.w = responseWriter{w: w}
	if _, ok := r.Header["X-Request-Id"]; !ok {
		r.Header["X-Request-Id"] = newRequestID()
	}
	info.FromRequest(r)
	info.DownstreamLocal, info.DownstreamRemote, info.ServerName = st.local, st.remote, st.sni
	info.Inbound = st.chain.cfg.HTTP.Inbound
	if info.Inbound {
		m.forwardClientCert(r, st)
	}
	var body *countingBody
	if r.Body != nil && r.Body != http.NoBody {
		body = &countingBody{r: r.Body}
		r.Body = body
	}
	defer m.finish(rq, body, st.chain)
	snap := m.current.Load()
	if a := snap.latest(st.chain).auth; a != nil && !m.authorizeHTTP(a, &rq.w, r, st, info) {
		return
	}
	t := snap.table(st.chain)
	if t == nil {
		// The route configuration has not arrived: Envoy answers 404 with NR too.
		info.Fail(http.StatusNotFound, accesslog.NoRouteFound, "route_not_found")
		rq.w.Header().Set("Content-Length", "0")
		rq.w.WriteHeader(http.StatusNotFound)
		return
	}
	t.Serve(&rq.w, r, info, &st.rconn)
}

// finish logs the request and recycles its state, also when the handler aborted with a panic.
func (m *Manager) finish(rq *request, body *countingBody, c *chain) {
	info := &rq.info
	info.Duration = time.Since(info.Start)
	if info.Status == 0 {
		info.Status = rq.w.status
	}
	info.BytesSent += rq.w.bytes
	if body != nil {
		info.BytesReceived += body.n.Load()
	}
	m.Stats.RqTotal.Add(1)
	switch s := info.Status; {
	case s >= 500:
		m.Stats.Rq5xx.Add(1)
	case s >= 400:
		m.Stats.Rq4xx.Add(1)
	case s >= 300:
		m.Stats.Rq3xx.Add(1)
	case s >= 200:
		m.Stats.Rq2xx.Add(1)
	case s >= 100:
		m.Stats.Rq1xx.Add(1)
	}
	c.logTo(info, m.opts.AccessLog)
	if m.opts.Observe != nil {
		m.opts.Observe(info)
	}
	*info = accesslog.Info{}
	rq.w = responseWriter{}
	requests.Put(rq)
}

// responseWriter counts what goes to the client.
type responseWriter struct {
	w      http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) Header() http.Header { return w.w.Header() }

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.w.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.w.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush and Unwrap let http.ResponseController flush and hijack through the counter.
func (w *responseWriter) Flush() {
	if f, ok := w.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.w }

// countingBody counts the request body bytes read. It is not pooled: the upstream transport may
// still read it after the handler returned.
type countingBody struct {
	r io.ReadCloser
	n atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { return b.r.Close() }

// requestID is an x-request-id header value: the slice the header map holds and the text it points
// at, allocated together (one allocation per request instead of two).
type requestID struct {
	vals [1]string
	text [36]byte
}

// newRequestID is a random UUID (version 4), what Envoy puts in x-request-id when a request has none,
// as a header's values. It identifies a request in logs and traces; it is no secret, so the runtime's
// fast generator does.
func newRequestID() []string {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	id := new(requestID)
	b := id.text[:]
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	// The text is never written again: a string over it is immutable as strings must be.
	id.vals[0] = unsafe.String(&id.text[0], len(id.text))
	return id.vals[:]
}

// chanListener is the http.Server's listener: the Manager pushes the connections it chose to serve
// as HTTP.
type chanListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.closed:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{} }
