package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"runtime"
	"testing"

	pb "istio.io/api/security/v1alpha1"
)

type nobody struct{}

func (nobody) Authenticate(context.Context) (Caller, error) {
	return Caller{Namespace: "bench", ServiceAccount: "sa"}, nil
}

// BenchmarkCSRSigning is the CSR service's signing rate (token review excluded: that is the API server's
// time), for proxies' usual ECDSA P-256 keys and for RSA 2048, by the self-signed root (RSA 2048, as
// Istio's) and by an ECDSA intermediate.
func BenchmarkCSRSigning(b *testing.B) {
	root := selfSigned(b)
	interPEM, interKey := intermediate(b, root, "intermediate")
	inter, err := NewAuthority(interPEM, interKey, interPEM, root.RootsPEM())
	if err != nil {
		b.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	for _, signer := range []struct {
		name string
		a    *Authority
	}{{"rsa2048-root", root}, {"ecdsa-intermediate", inter}} {
		for _, key := range []struct {
			name string
			k    crypto.Signer
		}{{"ecdsa-p256", ecKey(b)}, {"rsa2048", rsaKey}} {
			b.Run(signer.name+"/"+key.name, func(b *testing.B) {
				s := benchService(b, signer.a)
				req := &pb.IstioCertificateRequest{Csr: csrFor(b, key.k)}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.CreateCertificate(ctxBackground(), req); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "certs/s")
			})
		}
	}
}

func benchService(tb testing.TB, a *Authority) *Service {
	m, err := NewMetrics(nil)
	if err != nil {
		tb.Fatal(err)
	}
	cur := NewCurrent()
	cur.Set(a)
	return &Service{CA: cur, Authenticator: nobody{}, TrustDomain: "cluster.local", Metrics: m}
}

// retainedAfter1000 is how much the heap grows, after garbage collection, across 1,000 issued certificates.
func retainedAfter1000(tb testing.TB) int64 {
	s := benchService(tb, selfSigned(tb))
	req := &pb.IstioCertificateRequest{Csr: csrFor(tb, ecKey(tb))}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 1000 {
		if _, err := s.CreateCertificate(ctxBackground(), req); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// TestIssuedCertificatesAreNotKept: 1,000 certificates (about 3 MB of chains) leave less than 512 KiB
// behind: nothing keeps what was issued.
func TestIssuedCertificatesAreNotKept(t *testing.T) {
	if testing.Short() {
		t.Skip("signs 1,000 certificates")
	}
	if grown := retainedAfter1000(t); grown > 512<<10 {
		t.Fatalf("heap grew %d bytes over 1,000 certificates: something keeps them", grown)
	}
}

// BenchmarkMemoryPer1000Certificates reports the heap retained per 1,000 issued certificates.
func BenchmarkMemoryPer1000Certificates(b *testing.B) {
	var total int64
	for b.Loop() {
		total += retainedAfter1000(b)
	}
	b.ReportMetric(float64(total)/float64(b.N), "retained-B/1000certs")
}

func ctxBackground() context.Context { return context.Background() }
