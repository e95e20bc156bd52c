package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/url"
	"testing"
	"time"
)

// selfSigned is an authority over a fresh self-signed root.
func selfSigned(t testing.TB) *Authority {
	t.Helper()
	certPEM, keyPEM, err := SelfSignedRoot("cluster.local", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthority(certPEM, keyPEM, nil, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// intermediate signs a CA certificate below parent for a fresh ECDSA key: what a user's plug-in CA is.
func intermediate(t testing.TB, parent *Authority, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.cert, key.Public(), parent.signer)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM
}

// csrFor is a PEM CSR for key, asking for uris.
func csrFor(t testing.TB, key crypto.Signer, uris ...string) string {
	t.Helper()
	tmpl := &x509.CertificateRequest{}
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, p)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func ecKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyChain checks a CSR answer: leaf first, root last, and the leaf verifies to the root through the
// middle, naming want. It returns the leaf.
func verifyChain(t testing.TB, chain []string, want string) *x509.Certificate {
	t.Helper()
	if len(chain) < 2 {
		t.Fatalf("chain has %d entries, want leaf ... root", len(chain))
	}
	leaf, err := parseCertificate([]byte(chain[0]))
	if err != nil {
		t.Fatal(err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(chain[len(chain)-1])) {
		t.Fatal("last entry is not a certificate")
	}
	for _, c := range chain[1 : len(chain)-1] {
		inter.AppendCertsFromPEM([]byte(c))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("leaf does not verify: %v", err)
	}
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != want {
		t.Fatalf("leaf URIs = %v, want [%s]", leaf.URIs, want)
	}
	return leaf
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
