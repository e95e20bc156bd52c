package listener

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// bufferBeforeChunking is net/http's: a body that ends within it gets a Content-Length, a longer
// one (or one flushed before its end) is chunked.
const bufferBeforeChunking = 2048

// maxPostHandlerRead is net/http's: request body left unread by the handler that is discarded to
// keep the connection; more closes it.
const maxPostHandlerRead = 256 << 10

// h1response is the fast path's http.ResponseWriter, one per connection, reset for each request.
// It writes what net/http's server writes for the same calls (header order, Date, Content-Length
// or chunking, Content-Type sniffing, trailers, Connection: close), in the same layers: a
// 2,048-byte buffer whose first flush writes the head, then the connection's 4 KiB buffer.
type h1response struct {
	c   *h1conn
	req *http.Request
	// body is the request's body when it has one (nil: http.NoBody).
	body *h1body

	header http.Header
	// sent is the header as it was at WriteHeader, what the head holds (net/http's clone); the
	// map is the connection's, refilled for each request.
	sent          http.Header
	status        int
	wroteHeader   bool // WriteHeader called (not with a 1xx)
	headerSent    bool // the head is in the connection's buffer
	handlerDone   bool
	chunking      bool
	contentLength int64 // declared, or -1
	written       int64
	// closeAfterReply: the connection ends after this response.
	closeAfterReply bool
	trailers        []string

	w *bufio.Writer // bufferBeforeChunking bytes, over chunkWriter

	dateBuf   [len(http.TimeFormat)]byte
	clenBuf   [20]byte
	statusBuf [3]byte
}

func (w *h1response) reset(req *http.Request, body *h1body) {
	clear(w.header)
	clear(w.sent)
	*w = h1response{c: w.c, req: req, body: body, header: w.header, sent: w.sent, w: w.w, contentLength: -1, trailers: w.trailers[:0]}
	w.w.Reset(chunkWriter{w})
}

func (w *h1response) Header() http.Header { return w.header }

func (w *h1response) WriteHeader(code int) {
	if w.wroteHeader {
		w.c.m.log.Debug("superfluous WriteHeader call", "status", code)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational answer goes out now; the header map stays for the final one (RFC 8297).
		bw := w.c.bw
		writeStatusLine(bw, code, w.statusBuf[:])
		_ = w.header.WriteSubset(bw, excludedNoBody)
		_, _ = bw.WriteString("\r\n")
		_ = bw.Flush()
		return
	}
	w.wroteHeader = true
	w.status = code
	for k, vv := range w.header {
		w.sent[k] = vv
	}
	if cl := headerGet(w.header, "Content-Length"); cl != "" {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && v >= 0 {
			w.contentLength = v
		} else {
			w.c.m.log.Debug("invalid Content-Length", "value", cl)
			w.header.Del("Content-Length")
		}
	}
}

func (w *h1response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	return w.w.Write(p)
}

// Flush is what http.ResponseController and http.Flusher call.
func (w *h1response) Flush() { _ = w.FlushError() }

func (w *h1response) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	err := w.w.Flush()
	if !w.headerSent {
		w.writeHeader(nil)
	}
	if e2 := w.c.bw.Flush(); err == nil {
		err = e2
	}
	return err
}

// finish ends the response once the handler has returned: the buffered body, the last chunk and
// trailers, the flush.
func (w *h1response) finish() {
	w.handlerDone = true
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = w.w.Flush()
	if !w.headerSent {
		w.writeHeader(nil)
	}
	bw := w.c.bw
	if w.chunking {
		_, _ = bw.WriteString("0\r\n")
		if t := w.finalTrailers(); t != nil {
			_ = t.Write(bw)
		}
		_, _ = bw.WriteString("\r\n")
	}
	if !w.c.keepLast() {
		_ = bw.Flush() // else the next read sends it (h1conn.readWaitFirst) or the loop flushes it
	}
	if w.body != nil {
		_ = w.body.Close()
	}
}

// reusable says whether the connection can carry another request, as net/http decides.
func (w *h1response) reusable() bool {
	if w.closeAfterReply || w.c.werr != nil {
		return false
	}
	if w.contentLength != -1 && bodyAllowedForStatus(w.status) && w.contentLength != w.written {
		return false // did not write what it declared: the client would be out of step
	}
	return w.body == nil || !w.body.earlyClosed()
}

// chunkWriter is what the 2,048-byte buffer flushes into: the head on the first write, then the
// body, chunked or not.
type chunkWriter struct{ w *h1response }

func (cw chunkWriter) Write(p []byte) (int, error) {
	w := cw.w
	if !w.headerSent {
		w.writeHeader(p)
	}
	bw := w.c.bw
	if w.chunking {
		var hex [16]byte
		_, _ = bw.Write(strconv.AppendInt(hex[:0], int64(len(p)), 16))
		_, _ = bw.WriteString("\r\n")
	}
	n, err := bw.Write(p)
	if w.chunking && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	if err != nil {
		w.c.conn.Close()
	}
	return n, err
}

// writeHeader puts the head in the connection's buffer: net/http's chunkWriter.writeHeader for an
// HTTP/1.1 request other than HEAD, without 100-continue. p is the body's first bytes (sniffed for
// a Content-Type; their length is the Content-Length when the handler is done).
func (w *h1response) writeHeader(p []byte) {
	w.headerSent = true
	header := w.sent
	keepAlives := !w.c.m.draining.Load()
	var exclude map[string]bool
	del := func(k string) {
		if _, ok := header[k]; !ok {
			return
		}
		if exclude == nil {
			exclude = map[string]bool{}
		}
		exclude[k] = true
	}
	var set extraHeader

	trailers := false
	for k := range header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			del(k)
			trailers = true
		}
	}
	for _, v := range header["Trailer"] {
		trailers = true
		foreachHeaderElement(v, w.declareTrailer)
	}
	te := headerGet(header, "Transfer-Encoding")
	hasTE := te != ""
	if w.handlerDone && !trailers && !hasTE && bodyAllowedForStatus(w.status) && !has(header, "Content-Length") {
		w.contentLength = int64(len(p))
		set.contentLength = strconv.AppendInt(w.clenBuf[:0], int64(len(p)), 10)
	}
	hasCL := w.contentLength != -1
	if headerGet(header, "Connection") == "close" || !keepAlives {
		w.closeAfterReply = true
	}
	if w.req.ContentLength != 0 && !w.closeAfterReply && w.body != nil {
		if w.body.discardRest() {
			w.closeAfterReply = true
			del("Connection")
			set.connection = "close"
		} else if w.body.failed() {
			w.closeAfterReply = true
		}
	}
	code := w.status
	if bodyAllowedForStatus(code) {
		_, haveType := header["Content-Type"]
		if ce := header.Get("Content-Encoding"); ce == "" && !haveType && !hasTE && len(p) > 0 {
			set.contentType = http.DetectContentType(p)
		}
	} else {
		for _, k := range suppressedHeaders(code) {
			del(k)
		}
	}
	if !has(header, "Date") {
		set.date = time.Now().UTC().AppendFormat(w.dateBuf[:0], http.TimeFormat)
	}
	if hasCL && hasTE && te != "identity" {
		w.c.m.log.Debug("WriteHeader with both Transfer-Encoding and Content-Length", "transfer_encoding", te)
		del("Content-Length")
		hasCL = false
	}
	switch {
	case !bodyAllowedForStatus(code) || code == http.StatusNoContent, hasCL:
		del("Transfer-Encoding")
	case hasTE && te == "identity":
		w.chunking = false
		w.closeAfterReply = true
		del("Transfer-Encoding")
	default:
		w.chunking = true
		set.transferEncoding = "chunked"
		if hasTE && te == "chunked" {
			del("Transfer-Encoding")
		}
	}
	if w.chunking {
		del("Content-Length")
	}
	if w.closeAfterReply && (!keepAlives || !hasToken(headerGet(header, "Connection"), "close")) &&
		!(code == http.StatusSwitchingProtocols && header.Get("Upgrade") != "" &&
			httpguts.HeaderValuesContainsToken(header["Connection"], "Upgrade")) {
		del("Connection")
		set.connection = "close"
	}
	bw := w.c.bw
	writeStatusLine(bw, code, w.statusBuf[:])
	_ = header.WriteSubset(bw, exclude)
	set.write(bw)
	_, _ = bw.WriteString("\r\n")
}

func (w *h1response) declareTrailer(k string) {
	k = http.CanonicalHeaderKey(k)
	if !httpguts.ValidTrailerHeader(k) {
		return
	}
	w.trailers = append(w.trailers, k)
}

// finalTrailers are net/http's: the TrailerPrefix keys and the declared ones.
func (w *h1response) finalTrailers() http.Header {
	var t http.Header
	for k, vv := range w.header {
		if kk, found := strings.CutPrefix(k, http.TrailerPrefix); found {
			if t == nil {
				t = http.Header{}
			}
			t[kk] = vv
		}
	}
	for _, k := range w.trailers {
		if t == nil {
			t = http.Header{}
		}
		for _, v := range w.header[k] {
			t.Add(k, v)
		}
	}
	return t
}

// extraHeader is what writeHeader adds, in net/http's order.
type extraHeader struct {
	contentType, connection, transferEncoding string
	date, contentLength                       []byte
}

func (h *extraHeader) write(bw *bufio.Writer) {
	if h.date != nil {
		_, _ = bw.WriteString("Date: ")
		_, _ = bw.Write(h.date)
		_, _ = bw.WriteString("\r\n")
	}
	if h.contentLength != nil {
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.Write(h.contentLength)
		_, _ = bw.WriteString("\r\n")
	}
	for _, kv := range [...][2]string{{"Content-Type", h.contentType}, {"Connection", h.connection}, {"Transfer-Encoding", h.transferEncoding}} {
		if kv[1] != "" {
			_, _ = bw.WriteString(kv[0])
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(kv[1])
			_, _ = bw.WriteString("\r\n")
		}
	}
}

func writeStatusLine(bw *bufio.Writer, code int, scratch []byte) {
	_, _ = bw.WriteString("HTTP/1.1 ")
	if text := http.StatusText(code); text != "" {
		_, _ = bw.Write(strconv.AppendInt(scratch[:0], int64(code), 10))
		_ = bw.WriteByte(' ')
		_, _ = bw.WriteString(text)
		_, _ = bw.WriteString("\r\n")
	} else {
		// net/http's words for a code it has no text for.
		_, _ = fmt.Fprintf(bw, "%03d status code %d\r\n", code, code)
	}
}

var excludedNoBody = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

func suppressedHeaders(status int) []string {
	switch {
	case status == http.StatusNotModified:
		return []string{"Content-Type", "Content-Length", "Transfer-Encoding"}
	case !bodyAllowedForStatus(status):
		return []string{"Content-Length", "Transfer-Encoding"}
	}
	return nil
}

func bodyAllowedForStatus(status int) bool {
	switch {
	case status >= 100 && status <= 199, status == http.StatusNoContent, status == http.StatusNotModified:
		return false
	}
	return true
}

// headerGet is textproto's Get for a canonical key, without the canonicalisation.
func headerGet(h http.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func has(h http.Header, k string) bool {
	_, ok := h[k]
	return ok
}

// foreachHeaderElement calls fn for each non-empty element of a comma-separated list.
func foreachHeaderElement(v string, fn func(string)) {
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.Trim(f, " \t"); f != "" {
			fn(f)
		}
	}
}

// hasToken reports whether token is in v, case-insensitively, on token boundaries (net/http's).
func hasToken(v, token string) bool {
	if len(token) > len(v) || token == "" {
		return false
	}
	if v == token {
		return true
	}
	for sp := 0; sp <= len(v)-len(token); sp++ {
		if b := v[sp]; b != token[0] && b|0x20 != token[0] {
			continue
		}
		if sp > 0 && !isTokenBoundary(v[sp-1]) {
			continue
		}
		if end := sp + len(token); end != len(v) && !isTokenBoundary(v[end]) {
			continue
		}
		if strings.EqualFold(v[sp:sp+len(token)], token) {
			return true
		}
	}
	return false
}

func isTokenBoundary(b byte) bool { return b == ' ' || b == ',' || b == '\t' }

var _ io.Writer = chunkWriter{}
