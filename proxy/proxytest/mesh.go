package proxytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

// MeshCA is a test mesh's root: it issues SPIFFE workload certificates, as meshd's CA does.
type MeshCA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewMeshCA is a fresh self-signed root.
func NewMeshCA(t testing.TB) *MeshCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"cluster.local"}},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &MeshCA{Cert: c, key: key}
}

// Issue is a workload certificate for spiffe://cluster.local/ns/NS/sa/SA (identity "ns/NS/sa/SA").
func (ca *MeshCA) Issue(t testing.TB, identity string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("spiffe://cluster.local/" + identity)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, URIs: []*url.URL{u}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// PEM is the root certificate, PEM-encoded (the mounted root-cert.pem).
func (ca *MeshCA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Pool is the root as a pool.
func (ca *MeshCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Secrets is a proxy's agent in tests: its certificate as default, the mesh's root as ROOTCA.
type Secrets struct {
	Cert     *tls.Certificate
	RootPool *x509.CertPool
}

// Identity is the secrets of a workload of ca.
func (ca *MeshCA) Identity(t testing.TB, identity string) *Secrets {
	return &Secrets{Cert: ca.Issue(t, identity), RootPool: ca.Pool()}
}

// Certificate resolves default.
func (s *Secrets) Certificate(name string) (*tls.Certificate, bool) {
	return s.Cert, name == xdscontract.SecretWorkload && s.Cert != nil
}

// Roots resolves ROOTCA.
func (s *Secrets) Roots(name string) (*x509.CertPool, bool) {
	return s.RootPool, name == xdscontract.SecretRootCA && s.RootPool != nil
}

// IstioMutual is Istio's ISTIO_MUTUAL settings as meshd sends them: the workload certificate, the
// mesh's roots, Istio's ALPN; server side the client certificate is required.
func IstioMutual(server bool) *ir.TLS {
	t := &ir.TLS{CertificateSecret: xdscontract.SecretWorkload, ValidationSecret: xdscontract.SecretRootCA}
	if server {
		t.RequireClientCert = true
	} else {
		t.ALPN = []string{"istio-peer-exchange", "istio"}
	}
	return t
}
