package listener

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/tcpproxy"
)

// sniffed is what the first bytes of a connection say about it.
type sniffed struct {
	transport string // ir.TransportTLS or ir.TransportRaw
	protocol  string // ir.ProtocolHTTP1, ir.ProtocolH2C or ""
	sni       string
	alpn      []string
}

const (
	h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	// maxSniff bounds how much is read ahead: a TLS ClientHello record, or an HTTP request line.
	maxSniff = 16<<10 + 5
	// maxMethod bounds an HTTP method's length: a longer first word is not HTTP.
	maxMethod = 32
	// maxRequestLine is how far an HTTP/1 request line is looked for.
	maxRequestLine = 4 << 10
)

// sniff reads ahead on c, for at most timeout, to tell TLS (with its server name and ALPN), HTTP/1.x
// and HTTP/2 prior knowledge from other TCP, as Envoy's TLS and HTTP inspectors do. A client that
// says nothing within the timeout (a server-first protocol) is opaque TCP. The returned connection
// replays what was read.
func sniff(c net.Conn, timeout time.Duration, tlsOn, httpOn bool) (net.Conn, sniffed) {
	res := sniffed{transport: ir.TransportRaw}
	br := bufio.NewReaderSize(c, maxSniff)
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	defer c.SetReadDeadline(time.Time{})
	first, err := br.Peek(1)
	if err != nil {
		return tcpproxy.BufferedConn(c, br), res
	}
	switch {
	case tlsOn && first[0] == 0x16:
		if hdr, err := br.Peek(5); err == nil && hdr[1] == 3 {
			n := int(hdr[3])<<8 | int(hdr[4])
			if record, err := br.Peek(5 + n); err == nil {
				if hello := clientHello(record); hello != nil {
					res.transport, res.sni, res.alpn = ir.TransportTLS, hello.ServerName, hello.SupportedProtos
				}
			}
		}
	case httpOn:
		res.protocol = sniffHTTP(br)
	}
	return tcpproxy.BufferedConn(c, br), res
}

// sniffHTTP recognises the HTTP/2 preface or an HTTP/1.x request line, reading only as far as needed.
// Each round classifies everything that has arrived, not only the bytes asked for: a client that
// sent its whole request and waits for the answer must not wait for the sniffing timeout.
func sniffHTTP(br *bufio.Reader) string {
	n := 1
	for {
		b, err := br.Peek(n)
		if err != nil && len(b) == 0 {
			return ""
		}
		if m := br.Buffered(); m > len(b) {
			b, _ = br.Peek(m)
		}
		if p := classifyHTTP(b); p != "?" {
			return p
		}
		if err != nil || len(b) >= maxRequestLine {
			return ""
		}
		n = len(b) + 1
	}
}

// classifyHTTP decides on the bytes so far: a protocol, "" (not HTTP) or "?" (need more).
func classifyHTTP(b []byte) string {
	if len(b) <= len(h2Preface) && bytes.HasPrefix([]byte(h2Preface), b) {
		if len(b) == len(h2Preface) {
			return ir.ProtocolH2C
		}
		return "?"
	}
	if bytes.HasPrefix(b, []byte(h2Preface)) {
		return ir.ProtocolH2C
	}
	// METHOD SP target SP HTTP/1.x CRLF, the method a token of at most maxMethod bytes.
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		if len(b) > maxMethod || !isToken(b) {
			return ""
		}
		return "?"
	}
	if sp == 0 || sp > maxMethod || !isToken(b[:sp]) {
		return ""
	}
	eol := bytes.IndexByte(b, '\n')
	if eol < 0 {
		return "?"
	}
	line := bytes.TrimSuffix(b[:eol], []byte("\r"))
	if bytes.HasSuffix(line, []byte(" HTTP/1.1")) || bytes.HasSuffix(line, []byte(" HTTP/1.0")) {
		return ir.ProtocolHTTP1
	}
	return ""
}

func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`"(),/:;<=>?@[\]{}`), c) >= 0 {
			return false
		}
	}
	return true
}

var errHelloRead = errors.New("client hello read")

// clientHello parses a TLS ClientHello record with crypto/tls itself: a server handshake on the
// recorded bytes stops as soon as the hello is parsed.
func clientHello(record []byte) *tls.ClientHelloInfo {
	var hello *tls.ClientHelloInfo
	conn := tls.Server(readOnly{bytes.NewReader(record)}, &tls.Config{
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			cp := *h
			cp.SupportedProtos = append([]string(nil), h.SupportedProtos...)
			hello = &cp
			return nil, errHelloRead
		},
	})
	_ = conn.Handshake()
	return hello
}

// readOnly is a net.Conn over recorded bytes whose writes fail: the handshake never answers.
type readOnly struct{ r io.Reader }

func (c readOnly) Read(p []byte) (int, error)     { return c.r.Read(p) }
func (readOnly) Write([]byte) (int, error)        { return 0, io.ErrClosedPipe }
func (readOnly) Close() error                     { return nil }
func (readOnly) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (readOnly) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (readOnly) SetDeadline(time.Time) error      { return nil }
func (readOnly) SetReadDeadline(time.Time) error  { return nil }
func (readOnly) SetWriteDeadline(time.Time) error { return nil }
