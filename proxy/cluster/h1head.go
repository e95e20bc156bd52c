package cluster

import (
	"bufio"
	"bytes"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/meshctl/meshctl/proxy/h1wire"
)

// readSimpleResponse parses the head of an upstream answer of the common kind straight from the
// connection's buffer: HTTP/1.1, a final status with a body, one Content-Length, no
// Transfer-Encoding, no Trailer, no Connection header but "keep-alive", the whole head already
// buffered. Its header values are substrings of one string, so the head costs four allocations
// where http.ReadResponse spends ten and more. Anything else, and anything http.ReadResponse would
// read differently or reject, returns ok false with nothing consumed: the caller reads it with
// http.ReadResponse (the fuzz test holds the two to the same result). length is the body's.
func readSimpleResponse(br *bufio.Reader, req *http.Request) (resp *http.Response, length int64, ok bool) {
	if req.Method == http.MethodHead {
		return nil, 0, false
	}
	if _, err := br.Peek(1); err != nil {
		return nil, 0, false
	}
	buf, _ := br.Peek(br.Buffered())
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, 0, false
	}
	head := string(buf[:end+2]) // each line with its CRLF
	line, rest, _ := strings.Cut(head, "\r\n")
	const proto = "HTTP/1.1 "
	if len(line) < len(proto)+3 || line[:len(proto)] != proto {
		return nil, 0, false
	}
	status := line[len(proto):]
	code := 0
	for i := 0; i < 3; i++ {
		c := status[i]
		if c < '0' || c > '9' {
			return nil, 0, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified ||
		(len(status) > 3 && status[3] != ' ') || !h1wire.ValidText(status) {
		return nil, 0, false
	}
	lines := strings.Count(rest, "\r\n")
	h := make(http.Header, lines)
	values := make([]string, lines) // one backing array for every field's value
	length = -1
	for i := 0; rest != ""; i++ {
		line, rest, _ = strings.Cut(rest, "\r\n")
		k, v, found := strings.Cut(line, ":")
		if !found || !h1wire.ValidName(k) {
			return nil, 0, false
		}
		v = strings.Trim(v, " \t")
		if !h1wire.ValidText(v) {
			return nil, 0, false
		}
		k = textproto.CanonicalMIMEHeaderKey(k)
		switch k {
		case "Transfer-Encoding", "Trailer":
			return nil, 0, false
		case "Connection":
			if !strings.EqualFold(v, "keep-alive") {
				return nil, 0, false
			}
		case "Content-Length":
			if length >= 0 || v == "" || len(v) > 18 {
				return nil, 0, false
			}
			length = 0
			for j := 0; j < len(v); j++ {
				if v[j] < '0' || v[j] > '9' {
					return nil, 0, false
				}
				length = length*10 + int64(v[j]-'0')
			}
		}
		values[i] = v
		if prior, dup := h[k]; dup {
			h[k] = append(prior, v) // a new array: prior's capacity ends at its last value
		} else {
			h[k] = values[i : i+1 : i+1]
		}
	}
	if length < 0 {
		return nil, 0, false
	}
	_, _ = br.Discard(end + 4)
	return &http.Response{
		Status: status, StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, ContentLength: length, Request: req,
	}, length, true
}
