package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/metrics"
	"github.com/meshctl/meshctl/controlplane/xdsserver"
	"github.com/meshctl/meshctl/internal/freeaddr"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "istiod"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// meshd assembled: a proxy on the plaintext port and one on the TLS port get their configuration,
// the monitoring port shows them, /ready follows the store, and cancelling the context (SIGTERM)
// stops everything with no goroutine left.
func TestRunServesAndStopsCleanly(t *testing.T) {
	base := goleak.IgnoreCurrent()
	certFile, keyFile, pool := selfSigned(t)
	opts := DefaultOptions()
	a := freeaddr.Loopback(t, 4)
	opts.XDSAddr, opts.SecureXDSAddr, opts.MonitoringAddr, opts.ReadyAddr = a[0], a[1], a[2], a[3]
	opts.TLSCertFile, opts.TLSKeyFile = certFile, keyFile
	opts.Version = "1.2.3"
	opts.Logger = slog.New(slog.DiscardHandler)
	var synced atomic.Bool
	storeDone := make(chan struct{})
	backend := func(func() (*rest.Config, error), *metrics.Metrics, *slog.Logger) (*Backend, error) {
		b := EmptyBackend()
		b.HasSynced = synced.Load
		b.Run = func(ctx context.Context) error { <-ctx.Done(); close(storeDone); return nil }
		return b, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- Run(ctx, opts, nil, backend) }()

	waitUp := func(url string) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", url, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitUp("http://" + opts.ReadyAddr + "/ready")
	if code, _ := httpGet(t, "http://"+opts.ReadyAddr+"/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/ready before sync: %d", code)
	}
	synced.Store(true)
	if code, _ := httpGet(t, "http://"+opts.ReadyAddr+"/ready"); code != http.StatusOK {
		t.Errorf("/ready after sync: %d", code)
	}

	clientCtx, stopClients := context.WithCancel(context.Background())
	var clients []*loadtest.Client
	var conns []*grpc.ClientConn
	clientDone := make(chan error, 2)
	for i, target := range []struct {
		addr  string
		creds credentials.TransportCredentials
	}{
		{opts.XDSAddr, insecure.NewCredentials()},
		{opts.SecureXDSAddr, credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})},
	} {
		conn, err := grpc.NewClient(target.addr, grpc.WithTransportCredentials(target.creds))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		node, err := loadtest.SidecarNode(i, "default", "1.31.1")
		if err != nil {
			t.Fatal(err)
		}
		c := &loadtest.Client{Node: node}
		clients = append(clients, c)
		go func() { clientDone <- c.Run(clientCtx, conn) }()
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	for _, c := range clients {
		if err := c.Wait(wctx, func(c *loadtest.Client) bool { return !c.Stats().SyncedAt.IsZero() }); err != nil {
			t.Fatal(err)
		}
	}
	mon := "http://" + opts.MonitoringAddr
	for path, want := range map[string]string{
		"/metrics":           `pilot_xds{version="1.31.1"} 2`,
		"/version":           ``,
		"/debug/syncz":       `load-1.default`,
		"/debug/push_status": `"connectedProxies": 2`,
		"/debug/config_dump?proxyID=load-0.default": `ClustersConfigDump`,
	} {
		code, body := httpGet(t, mon+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, want 200 containing %q:\n%s", path, code, want, body)
		}
	}
	if code, _ := httpGet(t, mon+"/debug/config_dump?proxyID=nobody.default"); code != http.StatusNotFound {
		t.Errorf("config_dump of an unknown proxy: %d, want 404", code)
	}

	cancel()
	select {
	case err := <-runErr:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	<-storeDone
	for range clients {
		if err := <-clientDone; err == nil {
			t.Error("a proxy's stream outlived the server")
		}
	}
	stopClients()
	for _, c := range conns {
		c.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	if err := goleak.Find(base); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Options){
		"no xds address":   func(o *Options) { o.XDSAddr, o.SecureXDSAddr = "", "" },
		"cert without key": func(o *Options) { o.TLSCertFile = "c.pem" },
		"max below after":  func(o *Options) { o.DebounceMax = o.DebounceAfter / 2 },
		"zero debounce":    func(o *Options) { o.DebounceAfter = 0 },
		"zero throttle":    func(o *Options) { o.PushThrottle = 0 },
	} {
		o := DefaultOptions()
		mutate(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	o := DefaultOptions()
	if err := o.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	var _ xdsserver.Generator = EmptyBackend().Generator
}
