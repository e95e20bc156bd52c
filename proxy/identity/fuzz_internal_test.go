package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"testing"
)

// FuzzCertificateChain: whatever a CA answers, the agent takes a chain that verifies for its key or
// refuses it, never panics.
func FuzzCertificateChain(f *testing.F) {
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "")
	f.Add("", "not PEM")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, leaf, root string) {
		cert, got, err := certificate([]string{leaf, root}, key, x509.NewCertPool())
		if err == nil {
			t.Fatalf("a chain verified against an empty pool: %v %v", cert, got)
		}
	})
}
