package ca

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"
)

func currentLeaf(t *testing.T, s *Serving) *x509.Certificate {
	t.Helper()
	c, err := s.TLSConfig().GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf
}

// TestServingRenews: the serving certificate names meshd, verifies against the roots, is renewed before
// it expires, and is reissued at once by a new authority.
func TestServingRenews(t *testing.T) {
	cur := NewCurrent()
	s := &Serving{CA: cur, Identity: Identity{DNSNames: []string{"istiod.istio-system.svc"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}}, TTL: 6 * time.Second, Log: quiet}
	if _, err := s.TLSConfig().GetCertificate(&tls.ClientHelloInfo{}); err == nil {
		t.Fatal("a certificate before any CA")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	a := selfSigned(t)
	cur.Set(a)
	<-s.Issued()
	seen := time.Now()
	first := currentLeaf(t, s)
	if _, err := first.Verify(x509.VerifyOptions{Roots: a.Roots(), DNSName: "istiod.istio-system.svc"}); err != nil {
		t.Fatalf("serving certificate does not verify for istiod.istio-system.svc: %v", err)
	}
	if time.Until(first.NotAfter) > 7*time.Second {
		t.Fatalf("lifetime until %s, want 6s", first.NotAfter)
	}
	// Renewed at two thirds of its life, before it expires.
	deadline := time.Now().Add(10 * time.Second)
	for currentLeaf(t, s).SerialNumber.Cmp(first.SerialNumber) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not renewed within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if time.Now().After(first.NotAfter) {
		t.Error("renewed after the old one expired")
	}
	// Two thirds of 5-6s (certificate times are whole seconds): not before 2.5s.
	if since := time.Since(seen); since < 2500*time.Millisecond {
		t.Errorf("renewed %s after issue, want at two thirds of its 6s life", since)
	}
	// A new root: reissued at once.
	b := selfSigned(t)
	cur.Set(b)
	deadline = time.Now().Add(5 * time.Second)
	for {
		if _, err := currentLeaf(t, s).Verify(x509.VerifyOptions{Roots: b.Roots(), DNSName: "istiod.istio-system.svc"}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not reissued by the new authority within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
