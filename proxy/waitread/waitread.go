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

// Send calls send (which writes the message on the same connection) once the socket's readiness is
// reset, then waits for the socket to be readable and reads once into p. Deadlines and Close end the
// wait as for a plain read (a timeout is an os.ErrDeadlineExceeded, see Expired). A read of 0 bytes
// is io.EOF.
func Send(rc syscall.RawConn, p []byte, send func() error) (n int, err error) {
	var sent bool
	var serr, rerr error
	err = rc.Read(func(fd uintptr) bool {
		if !sent {
			sent = true
			if serr = send(); serr != nil {
				return true
			}
			return false // wait for the answer
		}
		for {
			m, e := syscall.Read(int(fd), p)
			switch e {
			case nil:
				n = m
				return true
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // a readiness older than the message: wait again
			}
			rerr = os.NewSyscallError("read", e)
			return true
		}
	})
	switch {
	case serr != nil:
		return 0, &SendError{Err: serr}
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, rerr
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

// ReadAfterBound is the read that follows a wait that expired: a plain read (read first, then wait)
// that also reports whether the bytes were already there (early). They were if the peer sent them
// before the message, or just as the bound expired; either way the caller's waits are not worth
// it on this connection. Bytes that come later mean the connection was only idle.
func ReadAfterBound(rc syscall.RawConn, p []byte) (n int, early bool, err error) {
	calls := 0
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		calls++
		for {
			m, e := syscall.Read(int(fd), p)
			switch e {
			case nil:
				n = m
				return true
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false
			}
			rerr = os.NewSyscallError("read", e)
			return true
		}
	})
	early = calls == 1
	switch {
	case err != nil:
		return 0, early, err
	case rerr != nil:
		return 0, early, rerr
	case n == 0 && len(p) > 0:
		return 0, early, io.EOF
	}
	return n, early, nil
}

// Expired reports whether err is a wait that ran into its deadline.
func Expired(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
