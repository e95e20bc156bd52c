package route

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/meshctl/meshctl/proxy/cluster"
)

// Mirror limits: copies are fire-and-forget, so they get a bound on concurrency (beyond it a copy is
// dropped, never queued) and on duration, and only bodies small enough to hold are copied.
const (
	maxMirrorsInFlight = 256
	mirrorTimeout      = 30 * time.Second
	maxMirrorBody      = 64 << 10
)

// Mirrorer sends mirrored requests in the background; it owns their goroutines, which end with ctx.
type Mirrorer struct {
	ctx     context.Context
	slots   chan struct{}
	log     *slog.Logger
	Dropped func() // counts a copy dropped for lack of a slot; may be nil
}

// NewMirrorer sends copies until ctx ends.
func NewMirrorer(ctx context.Context, log *slog.Logger) *Mirrorer {
	return &Mirrorer{ctx: ctx, slots: make(chan struct{}, maxMirrorsInFlight), log: log}
}

// mirror sends copies of the request to the mirror clusters that its share picks. A body is read
// into memory for the copies (and the request keeps a reader of it) when it is small and of known
// length; requests with other bodies are not mirrored.
func (f *forward) mirror(r *http.Request, conn *Conn) {
	if f.mirrorer == nil {
		return
	}
	var body []byte
	for _, m := range f.mirrors {
		if m.c == nil || !chance(m.perMillion) {
			continue
		}
		if hasBody(r) && body == nil {
			if r.ContentLength < 0 || r.ContentLength > maxMirrorBody {
				return
			}
			b, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
			if err != nil {
				return
			}
			body = b
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		f.mirrorer.send(m.c, r, body, conn.OrigDst)
	}
}

func (m *Mirrorer) send(c *cluster.Cluster, r *http.Request, body []byte, origDst netip.AddrPort) {
	select {
	case m.slots <- struct{}{}:
	default:
		if m.Dropped != nil {
			m.Dropped()
		}
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, mirrorTimeout)
	out := r.Clone(ctx)
	out.RequestURI = ""
	out.Host = shadowHost(r.Host)
	if body != nil {
		out.Body = io.NopCloser(bytes.NewReader(body))
	} else {
		out.Body = http.NoBody
	}
	go func() {
		defer func() { <-m.slots }()
		defer cancel()
		h, err := c.Pick(&cluster.Target{}, origDst)
		if err != nil {
			return
		}
		if err := c.Acquire(ctx); err != nil {
			return
		}
		defer c.Release()
		u := *out.URL
		u.Scheme, u.Host = "http", h.Addr
		out.URL = &u
		c.Begin(h)
		resp, err := c.RoundTripperFor(r).RoundTrip(out)
		if err != nil {
			c.End(h, 0, false)
			m.log.Debug("mirror failed", "cluster", c.Name(), "err", err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		c.End(h, resp.StatusCode, false)
	}()
}

// shadowHost appends "-shadow" to the host, before any port, as Envoy names mirrored authorities.
func shadowHost(host string) string {
	name := stripPort(host)
	return name + "-shadow" + strings.TrimPrefix(host, name)
}
