// Package waitread reads the answer to a message the caller is about to send on a TCP socket
// without the read Go's poller makes before it waits, which finds nothing (EAGAIN) when the answer
// cannot be there yet: one syscall per exchange fewer.
//
// A wait that does not read first is safe only if the poller cannot have taken the socket's
// readiness before the wait began. syscall.RawConn.Read clears the readiness the poller recorded
// (internal/poll's prepareRead), and the poller is edge-triggered: data that arrived, and whose
// edge the runtime took, before RawConn.Read began is not announced again, and a wait for it sleeps
// with the data unread. Send therefore sends the message from inside RawConn.Read, after that reset:
// the answer to it arrives later and raises an edge the wait sees. What the peer sent before the
// message (a pipelined request, a FIN, bytes out of step) has no such guarantee, so the caller bounds
// the wait with a read deadline and reads as usual when it expires (Expired).
package waitread

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Raw returns the socket of a plain TCP connection (a *net.TCPConn, or a wrapper that gives its
// TCPConn), nil for anything else: a TLS connection's reads go through its record layer.
func Raw(c net.Conn) syscall.RawConn {
	var tc *net.TCPConn
	switch t := c.(type) {
	case *net.TCPConn:
		tc = t
	case interface{ TCPConn() *net.TCPConn }:
		tc = t.TCPConn()
	}
	if tc == nil {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// SendError is a failure of send: the message may not have gone out.
type SendError struct{ Err error }

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Reader reads one connection's socket; made once per connection, so that a read allocates
// nothing (RawConn.Read takes a function: the Reader's are bound once).
type Reader struct {
	rc             syscall.RawConn
	waitFn, readFn func(uintptr) bool

	// One call's state.
	p     []byte
	send  func() error
	sent  bool
	calls int
	n     int
	serr  error
	rerr  error
}

// New returns a Reader of rc (from Raw).
func New(rc syscall.RawConn) *Reader {
	r := &Reader{rc: rc}
	r.waitFn, r.readFn = r.wait, r.read
	return r
}

// Send calls send (which writes the message on the same connection) once the socket's readiness is
// reset, then waits for the socket to be readable and reads once into p. Deadlines and Close end the
// wait as for a plain read (a timeout is an os.ErrDeadlineExceeded, see Expired). A read of 0 bytes
// is io.EOF. send should be made once per connection too (a method value allocates).
func (r *Reader) Send(p []byte, send func() error) (int, error) {
	r.p, r.send, r.sent, r.n, r.serr, r.rerr = p, send, false, 0, nil, nil
	err := r.rc.Read(r.waitFn)
	r.p, r.send = nil, nil
	if r.serr != nil {
		return 0, &SendError{Err: r.serr}
	}
	return r.result(err, len(p))
}

func (r *Reader) wait(fd uintptr) bool {
	if !r.sent {
		r.sent = true
		if r.serr = r.send(); r.serr != nil {
			return true
		}
		return false // wait for the answer
	}
	return r.read(fd)
}

// read reads once; false on EAGAIN (a readiness older than what it waits for: wait again).
func (r *Reader) read(fd uintptr) bool {
	r.calls++
	for {
		m, e := syscall.Read(int(fd), r.p)
		switch e {
		case nil:
			r.n = m
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		r.rerr = os.NewSyscallError("read", e)
		return true
	}
}

func (r *Reader) result(err error, asked int) (int, error) {
	switch {
	case err != nil:
		return 0, err
	case r.rerr != nil:
		return 0, r.rerr
	case r.n == 0 && asked > 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// ReadAfterBound is the read that follows a wait that expired: a plain read (read first, then wait)
// that also reports whether the bytes were already there (early). They were if the peer sent them
// before the message, or just as the bound expired; either way the caller's waits are not worth
// it on this connection. Bytes that come later mean the connection was only idle.
func (r *Reader) ReadAfterBound(p []byte) (n int, early bool, err error) {
	r.p, r.calls, r.n, r.rerr = p, 0, 0, nil
	err = r.rc.Read(r.readFn)
	early = r.calls == 1
	n, err = r.result(err, len(p))
	r.p = nil
	return n, early, err
}

// Expired reports whether err is a wait that ran into its deadline.
func Expired(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
