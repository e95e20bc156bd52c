package route

import (
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/tcpproxy"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyResponse forwards the upstream's answer: headers without hop-by-hop ones, the route's response
// mutations, the body (flushed as it comes when its length is unknown: streams, gRPC), and trailers.
func copyResponse(w http.ResponseWriter, resp *http.Response, info *accesslog.Info, mutations ...ir.HeaderMutation) {
	h := w.Header()
	if cs, ok := resp.Header["Connection"]; ok {
		for _, v := range cs {
			for _, tok := range strings.Split(v, ",") {
				if tok = strings.TrimSpace(tok); tok != "" {
					resp.Header.Del(tok)
				}
			}
		}
	}
	for k, vv := range resp.Header {
		if isHop(k) {
			continue
		}
		if prior, ok := h[k]; ok {
			h[k] = append(prior, vv...)
		} else {
			h[k] = vv
		}
	}
	for _, m := range mutations {
		if !m.Empty() {
			m.Apply(h)
		}
	}
	if len(resp.Trailer) > 0 {
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		h["Trailer"] = []string{strings.Join(names, ", ")}
	}
	w.WriteHeader(resp.StatusCode)
	info.Status = resp.StatusCode

	flush := resp.ContentLength == -1
	bp := bufPool.Get().(*[]byte)
	_, err := copyBody(w, resp.Body, *bp, flush)
	bufPool.Put(bp)
	if err != nil {
		if upstreamOrDownstream(err) == errDownstream {
			info.Flags |= accesslog.DownstreamConnectionTermination
		} else {
			info.Flags |= accesslog.UpstreamConnectionTermination
		}
		// Cut the downstream response short rather than let it look complete.
		panic(http.ErrAbortHandler)
	}
	if len(resp.Trailer) > 0 {
		if flush {
			_ = http.NewResponseController(w).Flush()
		}
		for k, vv := range resp.Trailer {
			h[http.TrailerPrefix+k] = vv
		}
	}
}

func isHop(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Trailer", "Te":
		return true
	}
	return false
}

type copyErr int

const (
	errUpstream copyErr = iota
	errDownstream
)

// writeError marks a failed write, telling the two sides apart.
type writeError struct{ error }

func upstreamOrDownstream(err error) copyErr {
	if _, ok := err.(writeError); ok {
		return errDownstream
	}
	return errUpstream
}

func copyBody(w http.ResponseWriter, body io.Reader, buf []byte, flush bool) (int64, error) {
	var total int64
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
	}
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, writeError{werr}
			}
			if flush {
				if err := rc.Flush(); err != nil {
					return total, writeError{err}
				}
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// handleUpgrade completes a protocol switch (WebSocket): the 101 goes to the client over the
// hijacked connection, then bytes flow both ways until either side closes.
func handleUpgrade(w http.ResponseWriter, r *http.Request, resp *http.Response, info *accesslog.Info) {
	back, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		localReply(w, r, info, http.StatusBadGateway, accesslog.UpstreamConnectionTermination, "upgrade_failed", "")
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		localReply(w, r, info, http.StatusInternalServerError, 0, "upgrade_failed", "")
		return
	}
	defer conn.Close()
	info.Status = resp.StatusCode
	out := &http.Response{StatusCode: resp.StatusCode, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}}
	for k, vv := range resp.Header {
		out.Header[k] = vv
	}
	if err := out.Write(brw); err != nil {
		return
	}
	if err := brw.Flush(); err != nil {
		return
	}
	down := tcpproxy.BufferedConn(conn, brw.Reader)
	sent, received := tcpproxy.Pipe(down, back)
	info.BytesSent += sent
	info.BytesReceived += received
}
