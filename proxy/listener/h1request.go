package listener

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/meshctl/meshctl/proxy/h1wire"
)

// headScan is what scanHead made of the bytes buffered so far.
type headScan int

const (
	headMore    headScan = iota // every complete line is of the common kind; the head goes on
	headDone                    // a whole head of the common kind
	headDecline                 // something net/http's server must read (or refuse)
)

// scanHead checks each complete line of a request head as it arrives, so that a request the fast
// path does not take is handed to net/http as soon as its first unusual line is in (net/http answers
// a bad request line or header at once, without waiting for the rest of the head). The common kind:
// CRLF line ends, a request line "METHOD /target HTTP/1.1" (not HEAD, CONNECT or PRI), header lines
// "Name: value" of token names and visible values, no obs-fold, and none of the headers that change
// how the connection goes on (Transfer-Encoding, Expect, Upgrade, HTTP2-Settings, Connection other
// than keep-alive, a second Content-Length) or that net/http rewrites (Pragma). end is the head's
// length, its final CRLF included.
func scanHead(buf []byte) (end int, s headScan) {
	pos, lengths := 0, 0
	for first := true; ; first = false {
		i := bytes.IndexByte(buf[pos:], '\n')
		if i < 0 {
			return 0, headMore
		}
		line := buf[pos : pos+i]
		next := pos + i + 1
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return 0, headDecline // a bare LF: net/http reads those, the fast path does not
		}
		line = line[:len(line)-1]
		switch {
		case first:
			if !commonRequestLine(line) {
				return 0, headDecline
			}
		case len(line) == 0:
			return next, headDone
		default:
			k, v, ok := bytes.Cut(line, []byte(":"))
			if !ok || !h1wire.ValidName(k) || !h1wire.ValidText(v) {
				return 0, headDecline
			}
			switch {
			case fieldIs(k, "Content-Length"):
				lengths++
				if lengths > 1 {
					return 0, headDecline
				}
			case fieldIs(k, "Connection"):
				if !bytes.EqualFold(bytes.Trim(v, " \t"), []byte("keep-alive")) {
					return 0, headDecline
				}
			case fieldIs(k, "Transfer-Encoding"), fieldIs(k, "Expect"), fieldIs(k, "Upgrade"),
				fieldIs(k, "Http2-Settings"), fieldIs(k, "Pragma"), fieldIs(k, "Trailer"):
				return 0, headDecline
			}
		}
		pos = next
	}
}

func fieldIs(k []byte, name string) bool {
	return len(k) == len(name) && bytes.EqualFold(k, []byte(name))
}

// commonRequestLine: a token method other than HEAD, CONNECT and PRI, an origin-form target of
// visible characters, HTTP/1.1.
func commonRequestLine(line []byte) bool {
	method, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || !h1wire.ValidName(method) {
		return false
	}
	switch string(method) {
	case http.MethodHead, http.MethodConnect, "PRI":
		return false
	}
	target, proto, ok := bytes.Cut(rest, []byte(" "))
	if !ok || len(target) == 0 || target[0] != '/' || string(proto) != "HTTP/1.1" {
		return false
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// buildRequest makes the request of a head scanHead accepted, as net/http's server would: one
// string for the head, header values as substrings of it over one backing array, Host out of the
// header map into Request.Host. ok is false for what only a whole parse finds wrong (a target
// url.ParseRequestURI refuses, a missing, repeated or invalid Host, a Content-Length that is not a
// number): net/http answers those.
func buildRequest(buf []byte) (r *http.Request, ok bool) {
	head := string(buf)
	line, rest, _ := strings.Cut(head, "\r\n")
	method, line, _ := strings.Cut(line, " ")
	target, _, _ := strings.Cut(line, " ")
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	lines := strings.Count(rest, "\r\n") - 1 // the empty line ends the head
	h := make(http.Header, lines)
	values := make([]string, lines)
	var length int64
	for i := 0; i < lines; i++ {
		line, rest, _ = strings.Cut(rest, "\r\n")
		k, v, _ := strings.Cut(line, ":")
		v = strings.Trim(v, " \t")
		k = textproto.CanonicalMIMEHeaderKey(k)
		if k == "Content-Length" {
			if length, ok = parseLength(v); !ok {
				return nil, false
			}
		}
		values[i] = v
		if prior, dup := h[k]; dup {
			h[k] = append(prior, v) // a new array: prior's capacity ends at its last value
		} else {
			h[k] = values[i : i+1 : i+1]
		}
	}
	hosts := h["Host"]
	if len(hosts) != 1 || !httpguts.ValidHostHeader(hosts[0]) {
		return nil, false
	}
	delete(h, "Host")
	r = &http.Request{
		Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, ContentLength: length, Host: hosts[0], RequestURI: target,
	}
	if length == 0 {
		r.Body = http.NoBody // a body of known length is the connection's (h1conn.serve)
	}
	return r, true
}

// parseLength: decimal digits only, as net/http takes them (up to 2^63-1; 18 digits keep it simple).
func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}
