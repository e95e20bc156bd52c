package tlsconf_test

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/proxytest"
	"github.com/meshctl/meshctl/proxy/tlsconf"
)

func secretOf(tb testing.TB, c *tls.Certificate) *ir.Secret {
	key, err := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		tb.Fatal(err)
	}
	return &ir.Secret{CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}),
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: key})}
}

// copies is secrets with the same bytes in new values, as each configuration pushed brings them.
func copies(in map[string]*ir.Secret) map[string]*ir.Secret {
	out := map[string]*ir.Secret{}
	for n, s := range in {
		c := *s
		out[n] = &c
	}
	return out
}

// BenchmarkStoreSetUnchanged is what every push (an endpoint change) costs a gateway holding 20
// credentials: their bytes are compared, not parsed again.
func BenchmarkStoreSetUnchanged(b *testing.B) {
	ca := proxytest.NewMeshCA(b)
	secrets := map[string]*ir.Secret{}
	for i := range 20 {
		secrets[fmt.Sprintf("kubernetes://c%d", i)] = secretOf(b, ca.Issue(b, "ns/gw/sa/x"))
	}
	s := tlsconf.NewStore(nil)
	if err := s.Set(secrets); err != nil {
		b.Fatal(err)
	}
	next := copies(secrets)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Set(next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreSetParsed is the same 20 parsed each time (new certificates).
func BenchmarkStoreSetParsed(b *testing.B) {
	ca := proxytest.NewMeshCA(b)
	secrets := map[string]*ir.Secret{}
	for i := range 20 {
		secrets[fmt.Sprintf("kubernetes://c%d", i)] = secretOf(b, ca.Issue(b, "ns/gw/sa/x"))
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := tlsconf.NewStore(nil).Set(secrets); err != nil {
			b.Fatal(err)
		}
	}
}
