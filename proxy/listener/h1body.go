package listener

import (
	"bufio"
	"io"
	"net/http"
	"sync"
)

// h1body is a fast-path request's body of known length, read from the connection's buffer. Like
// net/http's it may still be read by the upstream transport after the handler returned, so it is
// locked, and closed for good once the response is out (reads then fail) before the next request
// is read from the same buffer.
type h1body struct {
	mu     sync.Mutex
	br     *bufio.Reader
	n      int64 // left to read
	closed bool
	sawEOF bool
	// early: closed with more than maxPostHandlerRead left unread; fail: a read error left the
	// connection out of step. Either ends the connection.
	early, fail bool
	onEOF       func()
}

func (b *h1body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.readLocked(p)
}

func (b *h1body) readLocked(p []byte) (int, error) {
	if b.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.br.Read(p)
	b.n -= int64(n)
	if b.n == 0 {
		err = io.EOF
		if !b.sawEOF {
			b.sawEOF = true
			if b.onEOF != nil {
				b.onEOF()
			}
		}
	} else if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && err != io.EOF {
		b.fail = true
	}
	return n, err
}

// Close discards what is left if it is little, as net/http's server does for its bodies.
func (b *h1body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.sawEOF {
		return nil
	}
	if b.n > maxPostHandlerRead {
		b.early = true
		return nil
	}
	b.discardLocked()
	return nil
}

func (b *h1body) discardLocked() {
	var buf [512]byte
	for b.n > 0 && !b.fail {
		if _, err := b.readLocked(buf[:]); err != nil {
			break
		}
	}
}

// discardRest is what net/http does when the head is written with the body unread: it reads the
// rest if it is under maxPostHandlerRead and reports true (close after the reply) if it is more.
func (b *h1body) discardRest() (tooBig bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		if !b.sawEOF {
			b.fail = true
		}
	case b.n >= maxPostHandlerRead:
		return true
	default:
		b.discardLocked()
	}
	return false
}

// failed: the body's state leaves the connection unusable.
func (b *h1body) failed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fail
}

func (b *h1body) earlyClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.early || b.fail
}
