// Package tcpproxy forwards opaque TCP: the two directions are copied independently, and the end of
// one (a half-close) is passed on to the other side without closing the connection, so protocols that
// shut down their write side first still get their answer.
package tcpproxy

import (
	"bufio"
	"io"
	"net"
	"sync"
)

// closeWriter is a connection that can half-close.
type closeWriter interface{ CloseWrite() error }

// Pipe copies a→b and b→a until both directions end, then closes both. It returns the bytes sent to
// a and received from a.
func Pipe(a, b io.ReadWriteCloser) (toA, fromA int64) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		fromA = copyHalf(b, a)
	}()
	toA = copyHalf(a, b)
	wg.Wait()
	a.Close()
	b.Close()
	return toA, fromA
}

// copyHalf copies one direction, then half-closes the destination (or, when it cannot, closes it).
func copyHalf(dst, src io.ReadWriteCloser) int64 {
	var n int64
	var err error
	if b, ok := src.(*bufferedConn); ok && b.r != nil && b.r.Buffered() > 0 {
		// What was read ahead goes first; then the connection itself, which io.Copy can splice.
		var m int
		m, err = dst.Write(mustPeek(b.r))
		n = int64(m)
	}
	if err == nil {
		var m int64
		m, err = io.Copy(unwrapWriter(dst), unwrapReader(src))
		n += m
	}
	if cw, ok := dst.(closeWriter); ok && err == nil {
		_ = cw.CloseWrite()
	} else {
		// An error in one direction ends both: closing unblocks the other copy.
		dst.Close()
		src.Close()
	}
	return n
}

// unwrapReader and unwrapWriter expose the *net.TCPConn under wrappers so io.Copy can splice.
func unwrapReader(r io.Reader) io.Reader {
	if t, ok := r.(interface{ TCPConn() *net.TCPConn }); ok && t.TCPConn() != nil {
		return t.TCPConn()
	}
	return r
}

// mustPeek takes everything r holds.
func mustPeek(r *bufio.Reader) []byte {
	b, _ := r.Peek(r.Buffered())
	out := append([]byte(nil), b...)
	_, _ = r.Discard(len(b))
	return out
}

func unwrapWriter(w io.Writer) io.Writer {
	if t, ok := w.(interface{ TCPConn() *net.TCPConn }); ok && t.TCPConn() != nil {
		return t.TCPConn()
	}
	return w
}

// bufferedConn reads what a bufio.Reader already holds before the connection itself.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

// BufferedConn is conn with the bytes r already read from it put back in front.
func BufferedConn(conn net.Conn, r *bufio.Reader) net.Conn {
	if r == nil || r.Buffered() == 0 {
		return conn
	}
	return &bufferedConn{Conn: conn, r: r}
}

func (b *bufferedConn) Read(p []byte) (int, error) {
	if b.r != nil {
		if b.r.Buffered() > 0 {
			return b.r.Read(p)
		}
		b.r = nil // drained: read the connection itself from now on, and free the buffer
	}
	return b.Conn.Read(p)
}

func (b *bufferedConn) CloseWrite() error {
	if cw, ok := b.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (b *bufferedConn) TCPConn() *net.TCPConn {
	t, _ := b.Conn.(*net.TCPConn)
	return t
}
