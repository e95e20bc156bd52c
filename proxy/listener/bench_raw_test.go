package listener_test

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// BenchmarkProxyHTTPRaw is the hot path with ends that cost next to nothing: the client and the
// backend speak HTTP/1.1 over raw sockets with a fixed request and answer, so allocs/op and B/op
// are the proxy's own (listener, net/http's server, route table, cluster, upstream pool) and a
// syscall count over the process (strace -f -c) is the proxy's plus two reads and two writes.
// "serial" is one keep-alive connection; "16conns" is (about) fortio's layout of 16 connections.
func BenchmarkProxyHTTPRaw(b *testing.B) {
	backend := rawBackend(b)
	p := proxytest.Start(b, &ir.Config{
		Clusters: proxytest.Clusters(&ir.Cluster{Name: "b", Type: ir.ClusterStatic,
			Endpoints: []ir.Endpoint{{Address: backend, Weight: 1}}}),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("b")))},
	}, listener.Options{})
	addr := p.Addr(b, "l")
	req := []byte("GET /bench HTTP/1.1\r\nHost: svc.default.svc.cluster.local:8080\r\nUser-Agent: fortio.org/fortio-1.66.5\r\n\r\n")
	b.Run("serial", func(b *testing.B) {
		c := dialRaw(b, addr)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := c.roundTrip(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("16conns", func(b *testing.B) {
		// The body runs once per b.N tried: each run gets its own connections.
		par := max(1, 16/runtime.GOMAXPROCS(0))
		conns := make(chan *rawClient, par*runtime.GOMAXPROCS(0))
		for range cap(conns) {
			conns <- dialRaw(b, addr)
		}
		b.SetParallelism(par)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			c := <-conns
			for pb.Next() {
				if err := c.roundTrip(req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// rawClient sends a request and reads one answer framed by Content-Length, without allocating.
type rawClient struct {
	conn net.Conn
	buf  []byte
}

func dialRaw(b *testing.B, addr string) *rawClient {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return &rawClient{conn: c, buf: make([]byte, 8<<10)}
}

func (c *rawClient) roundTrip(req []byte) error {
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	n := 0
	for {
		m, err := c.conn.Read(c.buf[n:])
		n += m
		if err != nil {
			return err
		}
		if total, ok := rawFramed(c.buf[:n]); ok {
			if total != n {
				return fmt.Errorf("%d bytes after the answer", n-total)
			}
			if !bytes.HasPrefix(c.buf, []byte("HTTP/1.1 200 ")) {
				return fmt.Errorf("answer %q", c.buf[:min(n, 40)])
			}
			return nil
		}
		if n == len(c.buf) {
			return fmt.Errorf("answer longer than %d bytes", n)
		}
	}
}

var headEnd = []byte("\r\n\r\n")

// rawFramed reports whether buf holds a whole message (head and Content-Length body), and its length.
func rawFramed(buf []byte) (int, bool) {
	end := bytes.Index(buf, headEnd)
	if end < 0 {
		return 0, false
	}
	length := 0
	for rest := buf[:end]; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	total := end + len(headEnd) + length
	return total, len(buf) >= total
}

// rawBackend answers every request (a head without body) with a fixed 2-byte answer.
func rawBackend(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	b.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Sun, 06 Dec 2026 02:00:00 GMT\r\nContent-Length: 2\r\n\r\nok")
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 8<<10)
				n := 0
				for {
					m, err := c.Read(buf[n:])
					n += m
					if err != nil {
						return // the proxy closed its upstream connection
					}
					if end := bytes.Index(buf[:n], headEnd); end >= 0 {
						rest := copy(buf, buf[end+len(headEnd):n])
						n = rest
						if _, err := c.Write(resp); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
