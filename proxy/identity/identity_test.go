package identity_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshctl/meshctl/controlplane/ca"
	"github.com/meshctl/meshctl/proxy/identity"
	"github.com/meshctl/meshctl/proxy/tlsconf"
	"github.com/meshctl/meshctl/xdscontract"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// reviews answers TokenReviews as the API server would: token "sleep-token" is service account
// default/sleep for audience istio-ca; anything else is refused.
func reviews() *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview).DeepCopy()
		if tr.Spec.Token == "sleep-token" {
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences,
				User: authnv1.UserInfo{Username: "system:serviceaccount:default:sleep"}}
		} else {
			tr.Status = authnv1.TokenReviewStatus{Error: "token has expired"}
		}
		return true, tr, nil
	})
	return c
}

// meshCA is meshd's CSR service on loopback, over TLS with a serving certificate for
// istiod.istio-system.svc from the same CA, as meshd serves it on 15012.
type meshCA struct {
	addr     string
	rootFile string
	auth     *ca.Authority
}

func startCA(t *testing.T, ttl time.Duration) *meshCA {
	t.Helper()
	certPEM, keyPEM, err := ca.SelfSignedRoot("cluster.local", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.NewAuthority(certPEM, keyPEM, nil, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	cur := ca.NewCurrent()
	cur.Set(a)
	m, err := ca.NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := &ca.Service{CA: cur, Authenticator: &ca.Authenticator{Reviews: reviews().AuthenticationV1().TokenReviews()},
		TrustDomain: "cluster.local", TTL: ttl, Metrics: m, Log: quiet}
	serving := &ca.Serving{CA: cur, Identity: ca.Identity{DNSNames: []string{"istiod.istio-system.svc"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, TTL: time.Hour, Log: quiet}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	issued := serving.Issued() // before Run: the channel is made on first use
	go func() { done <- serving.Run(ctx) }()
	<-issued
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(serving.TLSConfig())))
	svc.Register(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Stop()
		cancel()
		<-done
	})
	dir := t.TempDir()
	root := filepath.Join(dir, "root-cert.pem")
	if err := os.WriteFile(root, a.RootsPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &meshCA{addr: ln.Addr().String(), rootFile: root, auth: a}
}

func tokenFile(t *testing.T, token string) string {
	p := filepath.Join(t.TempDir(), "istio-token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// agent dials the loopback CA (its serving certificate names 127.0.0.1 besides istiod's names).
func agent(m *meshCA, token string, t *testing.T) *identity.Agent {
	return identity.New(identity.Options{CAAddr: m.addr, RootCertFile: m.rootFile, TokenFile: tokenFile(t, token), Log: quiet})
}

func TestFetchFromMeshdCA(t *testing.T) {
	m := startCA(t, 24*time.Hour)
	a := agent(m, "sleep-token", t)
	if _, ok := a.Certificate(xdscontract.SecretWorkload); ok {
		t.Fatal("a certificate before any CSR")
	}
	leaf, err := a.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := tlsconf.SPIFFEPrincipal(leaf); got != "cluster.local/ns/default/sa/sleep" {
		t.Errorf("identity %q, want cluster.local/ns/default/sa/sleep", got)
	}
	if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key %T, want ECDSA P-256", leaf.PublicKey)
	}
	cert, ok := a.Certificate(xdscontract.SecretWorkload)
	if !ok || cert.Leaf != leaf {
		t.Fatal("default does not resolve to the certificate fetched")
	}
	roots, ok := a.Roots(xdscontract.SecretRootCA)
	if !ok {
		t.Fatal("ROOTCA does not resolve")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("the certificate does not verify against ROOTCA: %v", err)
	}
	if _, ok := a.Certificate("kubernetes://other"); ok {
		t.Error("a name other than default resolved")
	}
	select {
	case <-a.Ready():
	default:
		t.Error("not ready after a certificate")
	}
	// A second round is a new key and certificate (rotation).
	again, err := a.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.SerialNumber.Cmp(leaf.SerialNumber) == 0 || again.PublicKey.(*ecdsa.PublicKey).Equal(leaf.PublicKey) {
		t.Error("renewal reused the certificate or the key")
	}
}

func TestFetchRefused(t *testing.T) {
	m := startCA(t, time.Hour)
	if _, err := agent(m, "expired", t).Fetch(context.Background()); err == nil {
		t.Error("an expired token got a certificate")
	}
	// A CA the mesh's root does not vouch for: the agent must not send its token there.
	other := startCA(t, time.Hour)
	a := agent(other, "sleep-token", t)
	b, _ := os.ReadFile(m.rootFile)
	if err := os.WriteFile(other.rootFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Fetch(context.Background()); err == nil {
		t.Error("the agent trusted a CA outside the mesh's root")
	}
}

func TestRunRenewsBeforeExpiry(t *testing.T) {
	m := startCA(t, 4*time.Second) // the CA caps the lifetime: renewal after ~2s
	a := agent(m, "sleep-token", t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-a.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("no certificate")
	}
	first, _ := a.Certificate(xdscontract.SecretWorkload)
	deadline := time.After(20 * time.Second)
	for {
		c, _ := a.Certificate(xdscontract.SecretWorkload)
		if c != first {
			if !c.Leaf.NotAfter.After(first.Leaf.NotAfter.Add(-time.Second)) || time.Now().After(first.Leaf.NotAfter) {
				t.Errorf("renewed at %s, certificate expiring %s: not before expiry", time.Now(), first.Leaf.NotAfter)
			}
			return
		}
		select {
		case <-deadline:
			t.Fatal("not renewed")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestRenewAt(t *testing.T) {
	now := time.Now()
	leaf := &x509.Certificate{NotBefore: now, NotAfter: now.Add(24 * time.Hour)}
	for _, tc := range []struct {
		ratio float64
		want  time.Time
	}{{0.5, now.Add(12 * time.Hour)}, {0.25, now.Add(18 * time.Hour)}} {
		if got := identity.RenewAt(leaf, tc.ratio); !got.Equal(tc.want) {
			t.Errorf("RenewAt(%v) = %s, want %s", tc.ratio, got, tc.want)
		}
	}
}
