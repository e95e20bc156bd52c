package listener

import (
	"bufio"
	"bytes"
	"net/http"
	"net/textproto"
	"reflect"
	"testing"

	"golang.org/x/net/http/httpguts"
)

var h1Seeds = []string{
	"GET /bench HTTP/1.1\r\nHost: svc.default.svc.cluster.local:8080\r\nUser-Agent: fortio.org/fortio-1.66.5\r\n\r\n",
	"POST /a?b=c HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello",
	"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nAccept:  \t*/* \t\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
	"GET / HTTP/1.1\nHost: x\n\n",
	"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nX: \xff\x80\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 007\r\n\r\n",
	"GET / HTTP/1.1\r\nHost:\r\n\r\n",
	"GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n",
}

// FuzzFastRequest holds the fast path's request parser to net/http's: on every input scanHead and
// buildRequest accept, http.ReadRequest accepts it too, consumes the same head, and yields the
// same request, and net/http's server would not refuse it (Host, field names and values).
func FuzzFastRequest(f *testing.F) {
	for _, s := range h1Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		end, s := scanHead(in)
		// A verdict on a prefix never changes once given: the loop hands over or serves on it.
		for i := 0; i < len(in); i++ {
			pe, ps := scanHead(in[:i])
			if ps == headDecline && s != headDecline || ps == headDone && (s != headDone || pe != end) {
				t.Fatalf("%q: %v after %d bytes, %v after all", in, ps, i, s)
			}
		}
		if s != headDone {
			return
		}
		got, ok := buildRequest(in[:end])
		if !ok {
			return
		}
		br := bufio.NewReader(bytes.NewReader(in))
		want, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("%q: fast path took it, http.ReadRequest: %v", in, err)
		}
		if consumed := len(in) - br.Buffered(); consumed != end {
			t.Fatalf("%q: head of %d bytes, http.ReadRequest read %d", in, end, consumed)
		}
		// What net/http's server checks beyond ReadRequest.
		// (ReadRequest drops Host from the header map: count the fields again.)
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(in)))
		_, _ = tp.ReadLine()
		fields, _ := tp.ReadMIMEHeader()
		hosts := fields["Host"]
		if len(hosts) != 1 || !httpguts.ValidHostHeader(hosts[0]) {
			t.Fatalf("%q: net/http's server refuses its Host %q", in, hosts)
		}
		for k, vv := range want.Header {
			if !httpguts.ValidHeaderFieldName(k) {
				t.Fatalf("%q: net/http's server refuses field %q", in, k)
			}
			for _, v := range vv {
				if !httpguts.ValidHeaderFieldValue(v) {
					t.Fatalf("%q: net/http's server refuses %s: %q", in, k, v)
				}
			}
		}
		if want.Close || want.TransferEncoding != nil || want.Method == http.MethodHead {
			t.Fatalf("%q: fast path took a request net/http reads as close=%v te=%v %s", in, want.Close, want.TransferEncoding, want.Method)
		}
		type view struct {
			Method, URL, RequestURI, Proto, Host string
			Major, Minor                         int
			Header                               http.Header
			Length                               int64
			NoBody                               bool
		}
		v := func(r *http.Request) view {
			return view{r.Method, r.URL.String(), r.RequestURI, r.Proto, r.Host, r.ProtoMajor, r.ProtoMinor,
				r.Header, r.ContentLength, r.Body == http.NoBody}
		}
		if g, w := v(got), v(want); !reflect.DeepEqual(g, w) {
			t.Fatalf("%q:\nfast     %+v\nnet/http %+v", in, g, w)
		}
		if !reflect.DeepEqual(got.URL, want.URL) {
			t.Fatalf("%q: URL %#v, net/http %#v", in, got.URL, want.URL)
		}
	})
}
