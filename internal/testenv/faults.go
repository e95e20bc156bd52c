package testenv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// PauseAPIServer stops the cluster's API server process (SIGSTOP, by its recorded PID): connections are
// still accepted by the kernel, nothing answers, as with a stalled or overloaded API server. The returned
// function resumes it (SIGCONT); t.Cleanup resumes it in any case. Keep pauses to a few seconds on a
// shared cluster: the controller-manager gives up its leadership when it cannot renew its lease for 10s.
func (e *Env) PauseAPIServer(t testing.TB) (resume func()) {
	t.Helper()
	pid := 0
	e.Cluster.mu.Lock()
	for _, p := range e.Cluster.state.Procs {
		if p.Name == APIServer && isProcess(p.PID, p.Exe) {
			pid = p.PID
		}
	}
	e.Cluster.mu.Unlock()
	if pid == 0 {
		t.Fatal("pause: no running kube-apiserver recorded for this cluster")
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("pause kube-apiserver (pid %d): %v", pid, err)
	}
	// kill returns before every thread has stopped: a request may still be answered. Wait until the
	// kernel reports the process stopped (state T in /proc/PID/stat).
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) && b[i+2] == 'T' {
				break
			}
		}
	}
	var once sync.Once
	resume = func() {
		once.Do(func() {
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("resume kube-apiserver (pid %d): %v", pid, err)
			}
		})
	}
	t.Cleanup(resume)
	return resume
}

// Fault is what a FaultProxy does to the requests it receives.
type Fault int

// Faults.
const (
	Pass     Fault = iota // forward
	Delay                 // forward after FaultProxy.Delay
	Drop                  // close the connection without an answer (the client reads EOF)
	Reset                 // reset every connection (RST), new ones as they arrive
	Throttle              // answer 429 Too Many Requests with Retry-After: FaultProxy.RetryAfter
	Refuse                // stop listening: connection refused, as while an API server restarts
)

func (f Fault) String() string {
	return [...]string{"pass", "delay", "drop", "reset", "throttle", "refuse"}[f]
}

// FaultProxy is an HTTPS proxy in front of the API server that injects faults and counts requests. It
// terminates TLS with a certificate of its own and forwards with the cluster's admin credentials, so that
// it sees (and counts) each HTTP request, HTTP/2 streams included. Streams (watch, port-forward) pass.
type FaultProxy struct {
	// URL is the proxy's address, https://127.0.0.1:PORT.
	URL string
	// Delay is how long a Delay fault holds each request.
	Delay time.Duration
	// RetryAfter is the Retry-After, in seconds, of a Throttle fault's answers.
	RetryAfter int

	fault    atomic.Int32
	requests atomic.Int64
	faulted  atomic.Int64
	addr     string
	caPEM    []byte
	cert     tls.Certificate
	srv      *http.Server
	mu       sync.Mutex
	l        net.Listener
	conns    map[net.Conn]bool
}

// FaultProxy starts a proxy in front of the cluster's API server, stopped when the test ends.
func (e *Env) FaultProxy(t testing.TB) *FaultProxy {
	t.Helper()
	target, err := neturl.Parse(e.cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := rest.TransportFor(e.Config())
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{RetryAfter: 1, conns: map[net.Conn]bool{}}
	if p.caPEM, p.cert, err = selfSigned(); err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = rt
	rp.FlushInterval = -1                    // watches stream
	rp.ErrorLog = log.New(io.Discard, "", 0) // requests the test's faults cancel are expected
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		switch Fault(p.fault.Load()) {
		case Delay:
			p.faulted.Add(1)
			select {
			case <-time.After(p.Delay):
			case <-r.Context().Done():
				return
			}
		case Drop, Reset:
			p.faulted.Add(1)
			panic(http.ErrAbortHandler) // the server closes the connection without an answer
		case Throttle:
			p.faulted.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests (fault proxy)","reason":"TooManyRequests","details":{"retryAfterSeconds":%d},"code":429}`, p.RetryAfter)
			return
		}
		rp.ServeHTTP(w, r)
	}), ErrorLog: log.New(io.Discard, "", 0), ConnState: p.track} // resets make TLS handshakes fail: expected
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = l.Addr().String()
	p.URL = "https://" + p.addr
	p.serve(l)
	t.Cleanup(p.close)
	return p
}

func (p *FaultProxy) serve(l net.Listener) {
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	tl := tls.NewListener(resetListener{l, p}, &tls.Config{Certificates: []tls.Certificate{p.cert}, NextProtos: []string{"h2", "http/1.1"}})
	go func() { _ = p.srv.Serve(tl) }()
}

// resetListener resets connections as they arrive while the fault is Reset.
type resetListener struct {
	net.Listener
	p *FaultProxy
}

func (l resetListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if Fault(l.p.fault.Load()) != Reset {
			return c, nil
		}
		l.p.faulted.Add(1)
		resetConn(c)
	}
}

func resetConn(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (p *FaultProxy) track(c net.Conn, s http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch s {
	case http.StateNew:
		p.conns[c] = true
	case http.StateClosed, http.StateHijacked:
		delete(p.conns, c)
	}
}

// Set changes the fault from now on. Reset also resets the open connections; Refuse closes the listener
// (and every connection); leaving Refuse listens again on the same port.
func (p *FaultProxy) Set(f Fault) {
	old := Fault(p.fault.Swap(int32(f)))
	if old == Refuse && f != Refuse {
		p.listenAgain()
	}
	switch {
	case f == Reset:
		p.CutAll()
	case f == Refuse && old != Refuse:
		p.mu.Lock()
		p.l.Close()
		p.mu.Unlock()
		p.CutAll()
	}
}

func (p *FaultProxy) listenAgain() {
	for i := 0; ; i++ {
		l, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.serve(l)
			return
		}
		if i == 50 {
			panic(fmt.Sprintf("fault proxy: listen again on %s: %v", p.addr, err))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CutAll resets every open connection: what a client sees when a load balancer or the API server drops
// its connections.
func (p *FaultProxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		resetConn(c)
		delete(p.conns, c)
	}
}

// Requests is how many HTTP requests reached the proxy so far; Faulted how many of them (and of reset
// connections) a fault answered.
func (p *FaultProxy) Requests() int64 { return p.requests.Load() }

// Faulted is how many requests or connections a fault answered so far.
func (p *FaultProxy) Faulted() int64 { return p.faulted.Load() }

// Config is a REST config that talks to the cluster through the proxy, with meshctl's client rate
// limits (100 QPS, burst 200): client-go's default 5 QPS would make a test measure its own throttling.
func (p *FaultProxy) Config() *rest.Config {
	return &rest.Config{Host: p.URL, TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM}, QPS: 100, Burst: 200}
}

// Kubeconfig writes a kubeconfig for the proxy into dir and returns its path, for commands under test.
func (p *FaultProxy) Kubeconfig(t testing.TB) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["faults"] = &clientcmdapi.Cluster{Server: p.URL, CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos["faults"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["faults"] = &clientcmdapi.Context{Cluster: "faults", AuthInfo: "faults"}
	cfg.CurrentContext = "faults"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *FaultProxy) close() {
	p.fault.Store(int32(Pass))
	_ = p.srv.Close()
	p.mu.Lock()
	p.l.Close()
	p.mu.Unlock()
}

// selfSigned makes the proxy's certificate for 127.0.0.1 and returns it with its PEM, which clients trust.
func selfSigned() ([]byte, tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "meshctl-testenv fault proxy"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	return certPEM, cert, err
}
