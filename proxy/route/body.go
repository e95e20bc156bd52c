package route

import (
	"errors"
	"io"
	"net/http"
	"sync"
)

// maxReplay is how much of a request body is kept so that a retry can send it again (Envoy's default
// buffer limit); a longer body is not retried.
const maxReplay = 1 << 20

var errStaleAttempt = errors.New("request body read by an abandoned attempt")

// replayBody lets each attempt read the request body from the start: what the downstream sent is
// kept as it is read, up to maxReplay, and later attempts read the copy, then the rest from the
// client. The transport may still read an abandoned attempt's reader after the next attempt started:
// every read goes through the lock and into the copy, so no byte is lost to it.
type replayBody struct {
	mu       sync.Mutex
	src      io.ReadCloser
	buf      []byte
	overflow bool
	eof      error
	current  *replayReader
}

func newReplayBody(src io.ReadCloser) *replayBody { return &replayBody{src: src} }

// replayable: a new attempt can send the whole body.
func (b *replayBody) replayable() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.overflow
}

// reader starts an attempt; readers of earlier attempts fail from now on.
func (b *replayBody) reader() io.ReadCloser {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.current = &replayReader{b: b}
	return b.current
}

type replayReader struct {
	b   *replayBody
	off int
}

func (r *replayReader) Read(p []byte) (int, error) {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.current != r {
		return 0, errStaleAttempt
	}
	if r.off < len(b.buf) {
		n := copy(p, b.buf[r.off:])
		r.off += n
		return n, nil
	}
	if b.eof != nil {
		return 0, b.eof
	}
	n, err := b.src.Read(p)
	if n > 0 && !b.overflow {
		if len(b.buf)+n <= maxReplay {
			b.buf = append(b.buf, p[:n]...)
			r.off += n
		} else {
			b.overflow = true
		}
	}
	if err != nil {
		b.eof = err
	}
	return n, err
}

// Close leaves the downstream body open: the server closes it when the handler returns.
func (r *replayReader) Close() error { return nil }

func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}
