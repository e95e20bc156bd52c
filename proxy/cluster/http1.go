package cluster

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"time"

	"github.com/meshctl/meshctl/proxy/waitread"
)

// h1Pool is the connection pool of an HTTP/1.1 cluster. It is written for the proxy's hot path
// instead of using net/http's Transport, which spends two goroutines per connection and a channel
// handoff in each direction per request: here the request's own goroutine writes the request and
// reads the answer, and a connection whose answer was read to the end goes back to the pool.
// net/http still parses the answer (http.ReadResponse) and frames the bodies.
type h1Pool struct {
	c           *Cluster
	idleTimeout time.Duration
	noReuse     bool // max_requests_per_connection 1

	mu     sync.Mutex
	idle   map[string][]*h1Conn
	closed bool
}

type h1Conn struct {
	pool   *h1Pool
	addr   string
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
	reused bool
	// interrupt unblocks the connection's reads and writes when a request is cancelled; made once
	// per connection, not per request.
	interrupt func()

	// Wait-first reads (waitread): raw is the plain TCP socket (nil for TLS); short says the last
	// read of the connection returned less than asked, so the socket was empty after it; sendLast
	// says the request is still in bw, to be flushed by the first read of its answer; noWait is
	// set once the read after a wait that ran into its bound found bytes already there, and the
	// connection reads as usual from then on.
	raw      *waitread.Reader
	flush    func() error // bw.Flush, bound once (a method value allocates)
	short    bool
	sendLast bool
	noWait   bool
	wrote    bool  // bw wrote to the connection during the request being written
	sendErr  error // the deferred flush failed
	ctx      context.Context
}

// waitBound bounds a wait-first read: an answer slower than that is read as before (one read that
// finds nothing, then the poller), and so is anything the server sent before the request, which the
// wait does not see (waitread's package comment); bytes found at once by that read stop the
// connection's wait-first reads.
const waitBound = 20 * time.Millisecond

// h1Reader is what the connection's bufio.Reader reads: the socket, with a wait-first read for the
// first read of an answer whose request is still buffered.
type h1Reader struct{ pc *h1Conn }

func (r h1Reader) Read(p []byte) (int, error) {
	pc := r.pc
	if !pc.sendLast {
		n, err := pc.conn.Read(p)
		pc.short = n < len(p)
		return n, err
	}
	pc.sendLast = false
	_ = pc.conn.SetReadDeadline(time.Now().Add(waitBound))
	n, err := pc.raw.Send(p, pc.flush)
	// The bound is this read's: clear it, and interrupt again if the request was cancelled while it
	// was set (the cancellation's deadline may have been overwritten by it).
	_ = pc.conn.SetReadDeadline(time.Time{})
	if pc.ctx.Err() != nil {
		pc.interrupt()
	}
	se, failed := err.(*waitread.SendError) // Send returns it as it is
	switch {
	case failed:
		pc.sendErr = se.Err
		return 0, se.Err
	case err != nil && waitread.Expired(err) && pc.ctx.Err() == nil:
		n, pc.noWait, err = pc.raw.ReadAfterBound(p)
	}
	pc.short = n < len(p)
	return n, err
}

// h1Writer is what the connection's bufio.Writer writes to.
type h1Writer struct{ pc *h1Conn }

func (w h1Writer) Write(p []byte) (int, error) {
	w.pc.wrote = true
	return w.pc.conn.Write(p)
}

const (
	h1BufferSize = 16 << 10
	// livenessAfter: a connection idle for longer is checked for a close by the server before it is
	// used, so a request is not lost to a connection the server already dropped.
	livenessAfter = time.Second
)

func newH1Pool(c *Cluster, idleTimeout time.Duration, noReuse bool) *h1Pool {
	return &h1Pool{c: c, idleTimeout: idleTimeout, noReuse: noReuse, idle: map[string][]*h1Conn{}}
}

var errStale = errors.New("idle connection closed by the server")

// RoundTrip sends the request on a pooled or new connection to req.URL.Host and reads the answer's
// head; the body streams from the connection.
func (p *h1Pool) RoundTrip(req *http.Request) (*http.Response, error) {
	addr := req.URL.Host
	for attempt := 0; ; attempt++ {
		pc, err := p.get(req.Context(), addr)
		if err != nil {
			return nil, err
		}
		resp, err := pc.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		pc.close()
		// A reused connection the server closed while it was idle: send again on a new one when the
		// request can be sent again.
		if pc.reused && attempt == 0 && canResend(req) && req.Context().Err() == nil {
			continue
		}
		return nil, err
	}
}

func canResend(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func (p *h1Pool) get(ctx context.Context, addr string) (*h1Conn, error) {
	now := time.Now()
	p.mu.Lock()
	for list := p.idle[addr]; len(list) > 0; list = p.idle[addr] {
		pc := list[len(list)-1]
		p.idle[addr] = list[:len(list)-1]
		if now.Sub(pc.idleAt) > p.idleTimeout {
			p.mu.Unlock()
			pc.close()
			p.mu.Lock()
			continue
		}
		p.mu.Unlock()
		if now.Sub(pc.idleAt) > livenessAfter && !pc.alive() {
			pc.close()
			p.mu.Lock()
			continue
		}
		pc.reused = true
		return pc, nil
	}
	p.mu.Unlock()
	conn, err := p.c.dialAddr(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &h1Conn{pool: p, addr: addr, conn: conn}
	pc.br = bufio.NewReaderSize(h1Reader{pc}, h1BufferSize)
	pc.bw = bufio.NewWriterSize(h1Writer{pc}, h1BufferSize)
	if rc := waitread.Raw(conn); rc != nil {
		pc.raw, pc.flush = waitread.New(rc), pc.bw.Flush
	}
	pc.interrupt = func() { _ = pc.conn.SetDeadline(time.Unix(1, 0)) }
	return pc, nil
}

// alive reports whether an idle connection is still open: a read that must not block finds nothing
// (alive) or the server's close.
func (pc *h1Conn) alive() bool {
	if pc.br.Buffered() > 0 {
		return false // an answer nobody asked for: the connection is out of step
	}
	_ = pc.conn.SetReadDeadline(time.Now().Add(-time.Second))
	_, err := pc.br.Peek(1)
	_ = pc.conn.SetReadDeadline(time.Time{})
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (pc *h1Conn) close() { pc.conn.Close() }

// put returns a connection whose exchange is complete.
func (pc *h1Conn) put() {
	p := pc.pool
	if p.noReuse {
		pc.close()
		return
	}
	pc.idleAt = time.Now()
	pc.ctx = nil // the request's, not kept alive by an idle connection
	p.mu.Lock()
	if p.closed || len(p.idle[pc.addr]) >= maxIdlePerHost {
		p.mu.Unlock()
		pc.close()
		return
	}
	p.idle[pc.addr] = append(p.idle[pc.addr], pc)
	p.mu.Unlock()
}

// closeIdle closes the idle connections; with final, the pool takes no more.
func (p *h1Pool) closeIdle(final bool) {
	p.mu.Lock()
	idle := p.idle
	p.idle = map[string][]*h1Conn{}
	p.closed = p.closed || final
	p.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			pc.close()
		}
	}
}

func (pc *h1Conn) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// A cancelled request (timeout, client gone) must not stay blocked on the connection, until its
	// body is read too; stop reports whether the cancellation did not happen (the connection is
	// still usable).
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, pc.interrupt)
	}
	pc.ctx, pc.sendErr = ctx, nil
	if err := pc.writeRequest(req); err != nil {
		stop()
		return nil, err
	}
	resp, n, ok := readSimpleResponse(pc.br, req)
	if pc.sendErr != nil {
		stop()
		return nil, pc.sendErr
	}
	if ok {
		b := &h1Body{pc: pc, remain: n, fixed: true, reuse: !req.Close, stop: stop}
		resp.Body = b
		if n == 0 {
			b.finish(true) // nothing to read: the connection is free now
		}
		return resp, nil
	}
	for {
		resp, err := http.ReadResponse(pc.br, req)
		if err != nil {
			stop()
			if pc.reused && errors.Is(err, io.EOF) {
				return nil, errStale
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue // 100 Continue and other interim answers: the final one follows
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			stop() // the upgraded connection lives on its own terms
			resp.Body = &upgraded{pc: pc}
			return resp, nil
		}
		resp.Body = &h1Body{pc: pc, body: resp.Body, reuse: !resp.Close && !req.Close, stop: stop}
		return resp, nil
	}
}

// writeRequest writes the request line, the headers as they are (the proxy owns them: no default
// User-Agent, no Accept-Encoding added), the framing headers, and the body. A request that is
// whole in the buffer, on a connection whose socket was empty after its last read, is left there
// for the answer's first read to send (a wait-first read: waitread).
func (pc *h1Conn) writeRequest(req *http.Request) error {
	w := pc.bw
	pc.wrote = false
	w.WriteString(req.Method)
	w.WriteByte(' ')
	if req.Method == http.MethodConnect {
		w.WriteString(req.URL.Host)
	} else {
		w.WriteString(req.URL.RequestURI())
	}
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(req.Host)
	w.WriteString("\r\n")
	for k, vv := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding":
			continue
		}
		for _, v := range vv {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	chunked := hasBody && req.ContentLength < 0
	switch {
	case chunked:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	case req.ContentLength > 0:
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.FormatInt(req.ContentLength, 10))
		w.WriteString("\r\n")
	case req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		w.WriteString("Content-Length: 0\r\n")
	}
	if req.Close {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
	if hasBody {
		var err error
		if chunked {
			cw := httputil.NewChunkedWriter(w)
			if _, err = io.Copy(cw, req.Body); err == nil {
				if err = cw.Close(); err == nil {
					_, err = w.WriteString("\r\n")
				}
			}
		} else if req.ContentLength > 0 {
			_, err = io.CopyN(w, req.Body, req.ContentLength)
		}
		req.Body.Close()
		if err != nil {
			return err
		}
	}
	if pc.raw != nil && !pc.noWait && pc.short && !pc.wrote && pc.br.Buffered() == 0 {
		pc.sendLast = true
		return nil
	}
	return w.Flush()
}

// h1Body streams an answer's body; read to its end, the connection goes back to the pool.
type h1Body struct {
	pc    *h1Conn
	body  io.ReadCloser // http.ReadResponse's body
	reuse bool
	done  bool
	stop  func() bool
	// fixed: a body of known length read straight from the connection (readSimpleResponse); remain
	// is what is left of it.
	fixed  bool
	remain int64
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.fixed {
		return b.readFixed(p)
	}
	n, err := b.body.Read(p)
	if err != nil {
		b.finish(err == io.EOF)
	}
	return n, err
}

// readFixed reads the rest of a body of known length; its last bytes come with io.EOF, so the
// connection is back in the pool before the caller writes them on.
func (b *h1Body) readFixed(p []byte) (int, error) {
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.pc.br.Read(p)
	b.remain -= int64(n)
	switch {
	case b.remain == 0:
		b.finish(true)
		return n, io.EOF
	case err == io.EOF:
		b.finish(false)
		return n, io.ErrUnexpectedEOF // cut short: not the end of the answer
	case err != nil:
		b.finish(false)
	}
	return n, err
}

func (b *h1Body) Close() error {
	if !b.done {
		// Not read to the end: the connection is in the middle of an answer and cannot be reused.
		b.finish(false)
	}
	return nil
}

func (b *h1Body) finish(complete bool) {
	b.done = true
	if notCancelled := b.stop(); complete && b.reuse && notCancelled {
		b.pc.put()
		return
	}
	b.pc.close()
}

// upgraded is the connection after 101 Switching Protocols: both directions, raw.
type upgraded struct{ pc *h1Conn }

func (u *upgraded) Read(p []byte) (int, error)  { return u.pc.br.Read(p) }
func (u *upgraded) Write(p []byte) (int, error) { return u.pc.conn.Write(p) }
func (u *upgraded) Close() error                { return u.pc.conn.Close() }
