package listener

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshctl/meshctl/proxy/waitread"
)

// watchDelay is how long a request runs before the connection is watched for the client going
// away (a read that cancels the request's context on EOF, as net/http's background read does).
// Watching every request costs a goroutine switch and a read per request; a request answered
// sooner has nothing to cancel.
const watchDelay = 5 * time.Millisecond

// waitBound bounds the wait-first read of the next request on a keep-alive connection (waitread):
// what the client sent before the answer went out (a pipelined request in a write of its own, a
// FIN) is not announced to that wait, so it is read as usual once the bound expires; when the
// read finds it already there, the connection reads as usual from then on. A client idle for
// longer than the bound costs a timer and the read the wait saved.
const waitBound = 50 * time.Millisecond

const (
	h1Active int32 = iota
	h1Idle
	h1Closed
)

// h1conn is a downstream HTTP/1.1 connection served by the fast path: one goroutine reads a
// request, serves it and writes the answer, with one buffered reader and writer for the
// connection's life and no read in the background. A request the fast path does not take
// (scanHead) hands the connection, bytes already read included, to net/http's server.
type h1conn struct {
	m       *Manager
	handler http.Handler // the Manager; a test's handler in tests
	conn    net.Conn
	st      *connState
	ctx     context.Context
	r       connReader
	br      *bufio.Reader
	bw      *bufio.Writer
	rw      h1response
	werr    error // the first write error
	served  bool  // a request was served: the connection waits for the next one
	noWait  bool  // a wait-first read missed bytes already there: read as usual from now on
	// sendLastFn is sendLast, bound once (a method value allocates).
	sendLastFn func() error

	state atomic.Int32

	// The watch: armed for each request, fired after watchDelay.
	watch    *time.Timer
	wmu      sync.Mutex
	finished bool // the request is done: do not start watching
	watching bool
	gone     bool // the watch read EOF or an error: the client went away
	watched  chan struct{}
	cancel   context.CancelFunc
}

// connReader hands out the byte the watch read before reading the connection.
type connReader struct {
	conn    net.Conn
	pending byte
	has     bool
	// raw is the plain TCP socket (nil for TLS); short says the connection's last read returned
	// less than asked, so the socket was empty after it; send, when set, makes the next read a
	// wait-first read that sends the answer's last bytes first (waitread.Send).
	raw   *waitread.Reader
	short bool
	send  func() error
	// afterBound: the next read follows a wait that expired; early: that read found bytes there.
	afterBound, early bool
}

func (r *connReader) Read(p []byte) (n int, err error) {
	if r.has && len(p) > 0 {
		p[0], r.has = r.pending, false
		return 1, nil
	}
	if send := r.send; send != nil {
		r.send = nil
		n, err = r.raw.Send(p, send)
	} else if r.afterBound {
		r.afterBound = false
		n, r.early, err = r.raw.ReadAfterBound(p)
	} else {
		n, err = r.conn.Read(p)
	}
	r.short = n < len(p)
	return n, err
}

// errWriter notes the connection's first write error and cancels the request, as net/http does.
type errWriter struct{ c *h1conn }

func (w errWriter) Write(p []byte) (int, error) {
	n, err := w.c.conn.Write(p)
	if err != nil && w.c.werr == nil {
		w.c.werr = err
		w.c.wmu.Lock()
		cancel := w.c.cancel
		w.c.wmu.Unlock()
		if cancel != nil {
			cancel()
		}
	}
	return n, err
}

// serveHTTP1 serves a connection of an HTTP chain with h (the Manager); it returns when the
// connection is closed or handed to net/http's server.
func (m *Manager) serveHTTP1(conn net.Conn, st *connState, h http.Handler) {
	c := &h1conn{m: m, handler: h, conn: conn, st: st, watched: make(chan struct{}, 1)}
	c.r.conn = conn
	if rc := waitread.Raw(conn); rc != nil {
		c.r.raw = waitread.New(rc)
		c.sendLastFn = c.sendLast
	}
	c.br = bufio.NewReaderSize(&c.r, 4<<10)
	c.bw = bufio.NewWriterSize(errWriter{c}, 4<<10)
	c.rw = h1response{c: c, header: http.Header{}, sent: http.Header{}, w: bufio.NewWriterSize(nil, bufferBeforeChunking)}
	ctx := context.WithValue(context.Background(), http.ServerContextKey, m.srv)
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, conn.LocalAddr())
	c.ctx = context.WithValue(ctx, stateKey{}, st)
	c.watch = time.AfterFunc(time.Hour, c.watchRead)
	c.watch.Stop()
	if !m.addH1(c) {
		c.close()
		return
	}
	remote := conn.RemoteAddr().String()
	for {
		req, ok := c.readRequest()
		if !ok {
			return
		}
		req.RemoteAddr = remote
		if !c.serve(req) {
			_ = c.bw.Flush() // the answer's last bytes, if they were kept for a wait-first read
			c.close()
			return
		}
	}
}

// readRequest waits for the next request and returns it if the fast path takes it; otherwise the
// connection is closed or handed over, and ok is false.
func (c *h1conn) readRequest() (*http.Request, bool) {
	m := c.m
	if c.waitFirst() {
		if !c.readWaitFirst() {
			return nil, false
		}
	} else if c.bw.Buffered() > 0 {
		if err := c.bw.Flush(); err != nil {
			c.close()
			return nil, false
		}
	}
	if c.br.Buffered() == 0 {
		c.state.Store(h1Idle)
		if m.draining.Load() {
			c.close() // net/http closes idle connections when keep-alives are turned off
			return nil, false
		}
		// A new connection has ReadHeaderTimeout for its first request, a used one IdleTimeout
		// until the next request begins (net/http's deadlines).
		wait := m.opts.IdleTimeout
		if !c.served {
			wait = m.opts.ReadHeaderTimeout
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(wait))
		if _, err := c.br.Peek(1); err != nil {
			c.close()
			return nil, false
		}
		if !c.state.CompareAndSwap(h1Idle, h1Active) {
			return nil, false // Drain or Close closed it
		}
	}
	// A used connection's head has ReadHeaderTimeout once it is seen not to be whole in what was
	// read: the common head is, and its request goes without that deadline (a runtime timer).
	headDeadline := !c.served
	for {
		buf, _ := c.br.Peek(c.br.Buffered())
		end, s := scanHead(buf)
		switch {
		case s == headDone:
			req, ok := buildRequest(buf[:end])
			if !ok || m.draining.Load() {
				c.handOver()
				return nil, false
			}
			_, _ = c.br.Discard(end)
			_ = c.conn.SetReadDeadline(time.Time{})
			return req, true
		case s == headDecline, len(buf) == c.br.Size():
			// Unusual, or larger than the fast path's buffer: net/http reads it, with its limits
			// (MaxHeaderBytes: 431; invalid: 400).
			c.handOver()
			return nil, false
		}
		if !headDeadline {
			_ = c.conn.SetReadDeadline(time.Now().Add(m.opts.ReadHeaderTimeout))
			headDeadline = true
		}
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.close() // slowloris: net/http closes without an answer too
				return nil, false
			}
			if c.br.Buffered() > 0 {
				c.handOver() // a head cut short: net/http answers it as it would
				return nil, false
			}
			c.close()
			return nil, false
		}
	}
}

// waitFirst says whether the next request may be waited for without a read first: the answer's
// last bytes are still to be sent (h1response.finish keeps them), the socket was empty after the
// connection's last read, and nothing read is left over.
func (c *h1conn) waitFirst() bool {
	return c.r.raw != nil && !c.noWait && c.served && c.r.short && !c.r.has &&
		c.bw.Buffered() > 0 && c.br.Buffered() == 0 && c.werr == nil
}

// keepLast reports whether finish may leave the answer's last bytes in the buffer for a wait-first
// read to send.
func (c *h1conn) keepLast() bool { return c.r.raw != nil && !c.noWait }

// errDraining ends a wait-first read when the proxy drains: the connection is closed as an idle one.
var errDraining = errors.New("draining")

// readWaitFirst sends the answer's last bytes and waits for the next request's first bytes in one
// read (waitread.Send), bounded by waitBound; false: the connection is closed.
func (c *h1conn) readWaitFirst() bool {
	m := c.m
	start := time.Now()
	bound := min(waitBound, m.opts.IdleTimeout)
	_ = c.conn.SetReadDeadline(start.Add(bound))
	c.r.send = c.sendLastFn
	_, err := c.br.Peek(1)
	if err != nil && waitread.Expired(err) && bound < m.opts.IdleTimeout {
		// Idle for longer than the bound, or bytes the wait could not see: read as before.
		_ = c.conn.SetReadDeadline(start.Add(m.opts.IdleTimeout))
		c.r.afterBound = true
		_, err = c.br.Peek(1)
		c.r.afterBound = false
		c.noWait = c.r.early
	}
	if err != nil {
		c.close()
		return false
	}
	if !c.state.CompareAndSwap(h1Idle, h1Active) {
		return false // Drain or Close closed it
	}
	return true
}

// sendLast is the wait-first read's send: the answer's last bytes; then the connection is idle.
func (c *h1conn) sendLast() error {
	if err := c.bw.Flush(); err != nil {
		return err
	}
	c.state.Store(h1Idle)
	if c.m.draining.Load() {
		return errDraining // net/http closes idle connections when keep-alives are turned off
	}
	return nil
}

// serve runs the handler for one request; false: close the connection.
func (c *h1conn) serve(req *http.Request) (keep bool) {
	ctx, cancel := context.WithCancel(c.ctx)
	*req = *req.WithContext(ctx)
	c.wmu.Lock()
	c.cancel = cancel
	c.finished, c.watching = false, false
	c.wmu.Unlock()
	var body *h1body
	if req.ContentLength > 0 {
		body = &h1body{br: c.br, n: req.ContentLength, onEOF: c.arm}
		req.Body = body
	}
	c.rw.reset(req, body)
	c.served = true
	if body == nil {
		c.arm()
	}
	defer func() {
		c.stopWatch()
		cancel()
		c.wmu.Lock()
		c.cancel = nil
		c.wmu.Unlock()
		if err := recover(); err != nil {
			if err != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				c.m.log.Error(fmt.Sprintf("http: panic serving %v: %v\n%s", req.RemoteAddr, err, buf))
			}
			_ = c.bw.Flush() // what net/http's final flush sends before it closes
			keep = false
		}
	}()
	c.handler.ServeHTTP(&c.rw, req)
	c.rw.finish()
	return c.rw.reusable() && !c.clientGone()
}

// arm starts the request's watch timer; the body's reader may call it from another goroutine.
func (c *h1conn) arm() { c.watch.Reset(watchDelay) }

// watchRead reads one byte: EOF or an error means the client went away (the request is
// cancelled); a byte is the next request's, kept for the reader.
func (c *h1conn) watchRead() {
	c.wmu.Lock()
	if c.finished || c.watching {
		c.wmu.Unlock()
		return
	}
	c.watching = true
	c.wmu.Unlock()
	var b [1]byte
	n, err := c.conn.Read(b[:])
	c.r.short = false // what arrived after this read is not known to have been announced
	if n == 1 {
		c.r.pending, c.r.has = b[0], true
	}
	if err != nil {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			c.wmu.Lock()
			c.gone = true
			cancel := c.cancel
			c.wmu.Unlock()
			if cancel != nil {
				cancel()
			}
		}
	}
	c.watched <- struct{}{}
}

// stopWatch ends the request's watch, interrupting its read if it is in one.
func (c *h1conn) stopWatch() {
	c.watch.Stop()
	c.wmu.Lock()
	c.finished = true
	watching := c.watching
	c.wmu.Unlock()
	if watching {
		_ = c.conn.SetReadDeadline(time.Unix(1, 0))
		<-c.watched
		_ = c.conn.SetReadDeadline(time.Time{})
	}
}

func (c *h1conn) clientGone() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.gone
}

// handOver gives the connection to net/http's server, with the bytes read and not yet served.
func (c *h1conn) handOver() {
	_ = c.conn.SetReadDeadline(time.Time{})
	buffered, _ := c.br.Peek(c.br.Buffered())
	pending := make([]byte, 0, len(buffered)+1)
	pending = append(pending, buffered...)
	if c.r.has {
		pending = append(pending, c.r.pending)
	}
	if c.state.Swap(h1Closed) == h1Closed {
		return // Close got there first
	}
	c.m.removeH1(c)
	c.m.httpLn.push(&httpConn{Conn: c.conn, state: c.st, pending: pending})
}

// close ends the connection once (Drain and Close may race the connection's own goroutine).
func (c *h1conn) close() {
	if c.state.Swap(h1Closed) == h1Closed {
		return
	}
	c.conn.Close()
	c.m.removeH1(c)
	c.m.active.Add(-1)
}

// closeIfIdle is Drain's: net/http closes the connections that wait for a request.
func (c *h1conn) closeIfIdle() {
	if c.state.CompareAndSwap(h1Idle, h1Closed) {
		c.conn.Close()
		c.m.removeH1(c)
		c.m.active.Add(-1)
	}
}

func (m *Manager) addH1(c *h1conn) bool {
	m.h1mu.Lock()
	defer m.h1mu.Unlock()
	if m.h1closed {
		return false
	}
	m.h1conns[c] = struct{}{}
	return true
}

func (m *Manager) removeH1(c *h1conn) {
	m.h1mu.Lock()
	delete(m.h1conns, c)
	m.h1mu.Unlock()
}

// closeH1 closes the fast path's connections: all of them, or the idle ones.
func (m *Manager) closeH1(all bool) {
	m.h1mu.Lock()
	conns := make([]*h1conn, 0, len(m.h1conns))
	for c := range m.h1conns {
		conns = append(conns, c)
	}
	if all {
		m.h1closed = true
	}
	m.h1mu.Unlock()
	for _, c := range conns {
		if all {
			c.close()
		} else {
			c.closeIfIdle()
		}
	}
}
