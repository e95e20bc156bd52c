package listener_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/listener"
	"github.com/meshctl/meshctl/proxy/proxytest"
)

// echoServer accepts TCP and echoes what it reads; after the client's half-close it writes "bye"
// and closes.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
				_, _ = c.Write([]byte("bye"))
			}()
		}
	}()
	return ln.Addr().String()
}

func staticCluster(name, addr string) *ir.Cluster {
	return &ir.Cluster{Name: name, Type: ir.ClusterStatic, Endpoints: []ir.Endpoint{{Address: addr}}}
}

func tcpChain(name, clusterName string, m ir.ChainMatch) *ir.FilterChain {
	return &ir.FilterChain{Name: name, Match: m, TCP: &ir.TCPProxy{StatPrefix: name, Clusters: []ir.WeightedCluster{{Name: clusterName, Weight: 1}}}}
}

func httpChain(name string, m ir.ChainMatch, rc *ir.RouteConfig) *ir.FilterChain {
	return &ir.FilterChain{Name: name, Match: m, HTTP: &ir.HTTPManager{StatPrefix: name, Route: rc}}
}

// sniffing is a listener like Istio's outbound listener of a port of unknown protocol: HTTP goes to
// the HTTP chain, TLS by server name to a TCP chain, anything else to the TCP proxy.
func sniffing(t *testing.T) (*proxytest.Proxy, *proxytest.Backend) {
	b := proxytest.NewBackend(t, "http")
	echo := echoServer(t)
	l := &ir.Listener{
		Name: "sniff", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true,
		InspectHTTP: true, InspectTLS: true,
		Chains: []*ir.FilterChain{
			httpChain("http", ir.ChainMatch{ApplicationProtocols: []string{ir.ProtocolHTTP1, ir.ProtocolH2C}}, proxytest.Routes("r", proxytest.To("http"))),
			tcpChain("tls", "tls", ir.ChainMatch{TransportProtocol: ir.TransportTLS, ServerNames: []string{"*.example.com"}}),
		},
		DefaultChain: tcpChain("tcp", "echo", ir.ChainMatch{}),
	}
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("http", b), staticCluster("echo", echo), staticCluster("tls", echo)),
		Listeners: []*ir.Listener{l},
	}, listener.Options{SniffTimeout: sniffTimeout})
	return p, b
}

// sniffTimeout is the sniffing listener's: long enough that a client-first client on a loaded
// machine always has its first bytes in (at 100 ms a client stalled that long would have its HTTP taken for TCP).
const sniffTimeout = time.Second

func TestSniffingChoosesTheChain(t *testing.T) {
	p, b := sniffing(t)
	addr := p.Addr(t, "sniff")

	if r := p.Get(t, "sniff", "svc", "/h1"); r.Status != 200 || r.Header.Get(proxytest.HeaderProto) != "HTTP/1.1" {
		t.Errorf("HTTP/1.1: %d %v", r.Status, r.Header)
	}
	if r := h2cGet(t, "http://"+addr+"/h2c"); r.Proto != "HTTP/2.0" || r.Header.Get(proxytest.HeaderBackend) != "http" {
		t.Errorf("h2c: %s from %q", r.Proto, r.Header.Get(proxytest.HeaderBackend))
	}
	if b.Requests.Load() != 2 {
		t.Errorf("HTTP backend requests %d, want 2", b.Requests.Load())
	}

	// Opaque TCP, client first: echoed by the TCP proxy, the half-close passed on.
	if got := tcpExchange(t, addr, "\x00\x01binary"); got != "\x00\x01binarybye" {
		t.Errorf("opaque TCP: %q", got)
	}
	// Server first: the client says nothing; after the sniffing timeout it is TCP.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(sniffTimeout + 200*time.Millisecond)
	if got := roundTrip(t, c, "late"); got != "latebye" {
		t.Errorf("server-first TCP: %q", got)
	}
	// TLS with a matching server name goes to the TLS chain (passed through, not terminated).
	tc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	client := tls.Client(tc, &tls.Config{ServerName: "shop.example.com", InsecureSkipVerify: true})
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	if err := client.Handshake(); err == nil {
		t.Error("handshake with an echo server succeeded?")
	}
	tc.Close()
	lines := p.WaitLog(t, 5)
	found := false
	for _, l := range lines {
		if strings.Contains(l, " tls ") && strings.Contains(l, "shop.example.com") {
			found = true
		}
	}
	if !found {
		t.Errorf("no access log line of the TLS chain with its server name:\n%s", strings.Join(lines, "\n"))
	}
}

func h2cGet(t *testing.T, url string) *http.Response {
	t.Helper()
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	c := &http.Client{Transport: &http.Transport{Protocols: p}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// tcpExchange writes msg, half-closes, and reads everything until the proxy closes.
func tcpExchange(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return roundTrip(t, c, msg)
}

func roundTrip(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(got)
}

// TestOriginalDestinationHandOff: the outbound listener hands a connection to the listener of its
// original destination port; with none, its own chain passes it through to the original destination.
func TestOriginalDestinationHandOff(t *testing.T) {
	svc := proxytest.NewBackend(t, "svc")
	passthrough := proxytest.NewBackend(t, "outside")
	_, outsidePort, _ := net.SplitHostPort(passthrough.Addr())
	virtual := &ir.Listener{Name: "virtualOutbound", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true, UseOriginalDst: true,
		Chains: []*ir.FilterChain{tcpChain("passthrough", "PassthroughCluster", ir.ChainMatch{})}}
	port80 := &ir.Listener{Name: "0.0.0.0_80", Address: netip.MustParseAddrPort("0.0.0.0:80"), BindToPort: false,
		Chains: []*ir.FilterChain{httpChain("http", ir.ChainMatch{}, proxytest.Routes("80", proxytest.To("svc")))}}
	// Simulated capture: connections say they were for 10.96.0.10:80 or for the outside backend.
	var next atomic.Value
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("svc", svc), &ir.Cluster{Name: "PassthroughCluster", Type: ir.ClusterOriginalDst}),
		Listeners: []*ir.Listener{virtual, port80},
	}, listener.Options{OriginalDst: func(*net.TCPConn) (netip.AddrPort, error) { return netip.MustParseAddrPort(next.Load().(string)), nil }})

	next.Store("10.96.0.10:80")
	if r := p.Get(t, "virtualOutbound", "svc", "/"); r.Header.Get(proxytest.HeaderBackend) != "svc" {
		t.Errorf("to port 80: answered by %q", r.Header.Get(proxytest.HeaderBackend))
	}
	proxytest.Client.CloseIdleConnections()
	next.Store("127.0.0.1:" + outsidePort)
	if r := p.Get(t, "virtualOutbound", "anything", "/x"); r.Header.Get(proxytest.HeaderBackend) != "outside" {
		t.Errorf("to another port: answered by %q, want the original destination", r.Header.Get(proxytest.HeaderBackend))
	}
}

func TestHostileInputDoesNotHurt(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("b", b)),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("b")))},
	}, listener.Options{ReadHeaderTimeout: 200 * time.Millisecond, MaxHeaderBytes: 8 << 10})
	addr := p.Addr(t, "l")

	rawStatus := func(req string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		return strings.TrimSpace(line)
	}
	for _, b := range badRequests {
		if got := rawStatus(b.req); !strings.HasPrefix(got, b.status) {
			t.Errorf("%s: %q, want %q", b.name, got, b.status)
		}
	}

	// Slowloris: headers trickle in; the proxy closes the connection after ReadHeaderTimeout.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: b\r\n")
	closed := make(chan error, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, err := io.ReadAll(c)
		closed <- err
	}()
	for i := 0; ; i++ {
		select {
		case err := <-closed:
			// The proxy closes with our unread headers in its buffer: a reset, or a clean close.
			if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("slowloris: the read ended with %v, want the proxy to close", err)
			}
			i = -1
		case <-time.After(50 * time.Millisecond):
			_, _ = io.WriteString(c, fmt.Sprintf("X-%d: y\r\n", i))
			continue
		}
		break
	}

	// Half-open clients that vanish: connections closed mid-request.
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 100\r\n\r\npartial")
		c.Close()
	}
	// After all that, the proxy still serves.
	if r := p.Get(t, "l", "b", "/still"); r.Status != 200 {
		t.Errorf("after hostile input: %d", r.Status)
	}
}

func TestWebSocketUpgradePassesThrough(t *testing.T) {
	b := wsBackend(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(400) })
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("ws", b)),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("ws")))},
	}, listener.Options{})
	c, err := net.Dial("tcp", p.Addr(t, "l"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, "GET /chat HTTP/1.1\r\nHost: ws\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	_, _ = io.WriteString(c, "hello\n")
	if line, _ := br.ReadString('\n'); line != "echo hello\n" {
		t.Errorf("after the upgrade: %q", line)
	}
}

// TestGRPCOverH2C: a gRPC-shaped exchange (h2c both ways, trailers, streaming) crosses the proxy.
func TestGRPCOverH2C(t *testing.T) {
	b := proxytest.NewBackend(t, "grpc")
	b.Handle = func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 || r.Header.Get("Te") != "trailers" {
			w.Header().Set("Grpc-Status", "13")
			w.Header().Set("Grpc-Message", "want h2 with te: trailers, got "+r.Proto+" te="+r.Header.Get("Te"))
			w.WriteHeader(200)
			return
		}
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status")
		w.WriteHeader(200)
		msg, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte("reply:"), msg...))
		w.Header().Set("Grpc-Status", "0")
	}
	c := proxytest.Cluster("grpc", b)
	c.HTTP2 = true
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(c),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("grpc")))},
	}, listener.Options{})
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	req, _ := http.NewRequest(http.MethodPost, p.URL(t, "l")+"/pkg.Service/Method", strings.NewReader("ping"))
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "reply:ping" || resp.Trailer.Get("Grpc-Status") != "0" || resp.Proto != "HTTP/2.0" {
		t.Errorf("gRPC: %s %q trailers %v headers %v", resp.Proto, body, resp.Trailer, resp.Header)
	}
}

func TestDrainWaitsForConnections(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	arrived, release := make(chan struct{}), make(chan struct{})
	b.Handle = func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		proxytest.Echo("b")(w, r)
	}
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("b", b)),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("b")))},
	}, listener.Options{})
	type result struct {
		resp *http.Response
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(p.URL(t, "l") + "/")
		if err == nil {
			resp.Body.Close()
		}
		got <- result{resp, err}
	}()
	<-arrived // a request is in flight when the drain starts

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var released atomic.Bool
	drainedEarly := make(chan bool, 1)
	go func() { p.Drain(ctx); drainedEarly <- !released.Load() }()
	for !p.Draining() {
		runtime.Gosched()
	}
	released.Store(true)
	close(release)

	r := <-got
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.resp.Close {
		t.Error("the request in flight during the drain was not told to close its connection")
	}
	if <-drainedEarly {
		t.Error("drain returned while a request was still in flight")
	}
	if ctx.Err() != nil {
		t.Error("drain waited until its deadline: the connection was not closed")
	}
	if n := p.ActiveConnections(); n != 0 {
		t.Errorf("drain returned with %d connections", n)
	}
}

func TestAccessLogLine(t *testing.T) {
	i := &accesslog.Info{
		Start: time.Date(2026, 12, 5, 1, 2, 3, 456e6, time.UTC), Duration: 12 * time.Millisecond,
		Method: "GET", Path: "/productpage", Protocol: "HTTP/1.1", Status: 503,
		Flags: accesslog.UpstreamConnectionFailure | accesslog.UpstreamRetryLimitExceeded, Details: "upstream_reset_before_response_started{connection_failure}",
		UpstreamFailure: "connection refused", BytesSent: 91, UserAgent: "curl/8.5.0", RequestID: "abc",
		Authority: "productpage:9080", UpstreamHost: "10.244.0.9:9080", Cluster: "outbound|9080||productpage.default.svc.cluster.local",
		DownstreamLocal: netip.MustParseAddrPort("10.96.0.20:9080"), DownstreamRemote: netip.MustParseAddrPort("10.244.0.7:51234"),
		RouteName: "default", UpstreamTime: 3 * time.Millisecond,
	}
	want := `[2026-12-05T01:02:03.456Z] "GET /productpage HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure} - "connection refused" 0 91 12 3 "-" "curl/8.5.0" "abc" "productpage:9080" "10.244.0.9:9080" outbound|9080||productpage.default.svc.cluster.local - 10.96.0.20:9080 10.244.0.7:51234 - default` + "\n"
	if got := string(i.AppendText(nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRefusedConfigurationKeepsClusters: a configuration that does not compile leaves the clusters in
// service as they were (connections pooled, nothing closed).
func TestRefusedConfigurationKeepsClusters(t *testing.T) {
	b := proxytest.NewBackend(t, "b")
	good := &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("b", b)),
		Listeners: []*ir.Listener{proxytest.HTTPListener("l", proxytest.Routes("r", proxytest.To("b")))},
	}
	p := proxytest.Start(t, good, listener.Options{})
	before := p.Clusters()["b"]
	p.Get(t, "l", "b", "/")
	changed := proxytest.Cluster("b", b)
	changed.LB = ir.LBRandom // a different cluster: would replace the running one
	bad := &ir.Config{
		Clusters:  proxytest.Clusters(changed),
		Listeners: []*ir.Listener{{Name: "broken", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true, Chains: []*ir.FilterChain{{Name: "none"}}}},
	}
	if err := p.Apply(bad); err == nil {
		t.Fatal("a chain without a filter was accepted")
	}
	if p.Clusters()["b"] != before || p.Manager.Config() != good {
		t.Error("the refused configuration replaced the configuration in service")
	}
	dials := before.Stats.CxTotal.Load()
	for i := 0; i < 3; i++ {
		if r := p.Get(t, "l", "b", "/"); r.Status != 200 {
			t.Errorf("after the refusal: %d", r.Status)
		}
	}
	if n := before.Stats.CxTotal.Load() - dials; n != 0 {
		t.Errorf("the cluster in service dialled %d new connections after the refusal: it was closed", n)
	}
}

// TestSniffingOnlyWherePortsNeedIt: on a listener like virtualInbound, with a sniffed port (HTTP
// and TCP chains) and a plain TCP port, a server-first protocol on the TCP port is not held back
// waiting for the client's first bytes (the sniffing timeout here would outlast the test).
func TestSniffingOnlyWherePortsNeedIt(t *testing.T) {
	b := proxytest.NewBackend(t, "http")
	greeter, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { greeter.Close() })
	go func() {
		for {
			c, err := greeter.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("220 hello\n"))
			c.Close()
		}
	}()
	echo := echoServer(t)
	inbound := &ir.Listener{Name: "virtualInbound", Address: netip.MustParseAddrPort("127.0.0.1:0"), BindToPort: true,
		OriginalDst: true, InspectHTTP: true,
		Chains: []*ir.FilterChain{
			httpChain("sniffed-http", ir.ChainMatch{DestinationPort: 9000, ApplicationProtocols: []string{ir.ProtocolHTTP1, ir.ProtocolH2C}}, proxytest.Routes("r", proxytest.To("http"))),
			tcpChain("sniffed-tcp", "echo", ir.ChainMatch{DestinationPort: 9000}),
			tcpChain("smtp", "greeter", ir.ChainMatch{DestinationPort: 25}),
		}}
	var next atomic.Value
	p := proxytest.Start(t, &ir.Config{
		Clusters:  proxytest.Clusters(proxytest.Cluster("http", b), staticCluster("echo", echo), staticCluster("greeter", greeter.Addr().String())),
		Listeners: []*ir.Listener{inbound},
	}, listener.Options{SniffTimeout: time.Hour,
		OriginalDst: func(*net.TCPConn) (netip.AddrPort, error) { return netip.MustParseAddrPort(next.Load().(string)), nil }})

	next.Store("10.244.0.9:9000")
	if r := p.Get(t, "virtualInbound", "svc", "/"); r.Status != 200 || r.Header.Get(proxytest.HeaderBackend) != "http" {
		t.Errorf("HTTP to the sniffed port: %d from %q", r.Status, r.Header.Get(proxytest.HeaderBackend))
	}
	next.Store("10.244.0.9:25")
	c, err := net.Dial("tcp", p.Addr(t, "virtualInbound"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if string(got) != "220 hello\n" {
		t.Errorf("server-first TCP port: read %q (%v): held back by sniffing?", got, err)
	}
}

// wsBackend is a backend that takes a WebSocket upgrade (101, then echoes one line back) and
// serves every other request with plain.
func wsBackend(t *testing.T, plain http.HandlerFunc) *proxytest.Backend {
	b := proxytest.NewBackend(t, "ws")
	b.Handle = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			plain(w, r)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("echo " + line)
		_ = brw.Flush()
	}
	return b
}

// badRequests are requests the proxy answers with an error status and closes, on a connection's
// first request and on a later one alike.
var badRequests = []struct{ name, req, status string }{
	{"oversized headers", "GET / HTTP/1.1\r\nHost: b\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
	{"invalid HTTP", "GARBAGE\r\n\r\n", "HTTP/1.1 400"},
	{"invalid header", "GET / HTTP/1.1\r\nHost: b\r\nBad Header\r\n\r\n", "HTTP/1.1 400"},
}
