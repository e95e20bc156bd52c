package ca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
)

// Authority signs certificates with one signing certificate and key. It is immutable and safe for
// concurrent use; a new root or plug-in CA is a new Authority.
type Authority struct {
	signer crypto.Signer
	cert   *x509.Certificate
	// chainPEM is the chain from the signing certificate up to (and with) the root, as the user plugged
	// it in (cert-chain.pem); empty for a self-signed root, which is its own chain.
	chainPEM []byte
	// rootsPEM are the roots workloads trust (root-cert.pem).
	rootsPEM []byte
	roots    *x509.CertPool
	// Plugged says the authority is the user's plug-in CA (Secret cacerts).
	Plugged bool
}

// Identity is what an issued certificate names: SPIFFE URIs for workloads, DNS names and IPs for meshd's
// serving certificate.
type Identity struct {
	URIs     []string
	DNSNames []string
	IPs      []net.IP
}

// NewAuthority checks that certPEM and keyPEM are a CA certificate and its key, and that the chain
// (chainPEM, may be empty for a root) leads from it to one of rootsPEM.
func NewAuthority(certPEM, keyPEM, chainPEM, rootsPEM []byte) (*Authority, error) {
	cert, err := parseCertificate(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", "ca-cert.pem", err)
	}
	if !cert.IsCA || cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("ca-cert.pem: %q is not a CA certificate (basicConstraints CA and keyUsage certSign)", cert.Subject)
	}
	signer, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("ca-key.pem: %w", err)
	}
	if !samePublicKey(signer.Public(), cert.PublicKey) {
		return nil, errors.New("ca-key.pem is not the key of ca-cert.pem")
	}
	if len(bytes.TrimSpace(rootsPEM)) == 0 {
		rootsPEM = certPEM
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootsPEM) {
		return nil, errors.New("root-cert.pem: no certificate")
	}
	inter := x509.NewCertPool()
	if len(bytes.TrimSpace(chainPEM)) > 0 && !inter.AppendCertsFromPEM(chainPEM) {
		return nil, errors.New("cert-chain.pem: no certificate")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("ca-cert.pem does not chain to root-cert.pem through cert-chain.pem: %w", err)
	}
	return &Authority{signer: signer, cert: cert, chainPEM: bytes.TrimSpace(chainPEM), rootsPEM: rootsPEM, roots: roots}, nil
}

// RootsPEM are the roots workloads trust, PEM.
func (a *Authority) RootsPEM() []byte { return a.rootsPEM }

// Roots is RootsPEM as a pool.
func (a *Authority) Roots() *x509.CertPool { return a.roots }

// Certificate is the signing certificate.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// RootExpiry is when the earliest of the roots expires (citadel_server_root_cert_expiry_timestamp).
func (a *Authority) RootExpiry() time.Time {
	var earliest time.Time
	rest := a.rootsPEM
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return earliest
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err == nil && (earliest.IsZero() || c.NotAfter.Before(earliest)) {
			earliest = c.NotAfter
		}
	}
}

// Chain is the PEM chain that goes with a leaf this authority signed, as Istio's CSR service answers it:
// the leaf first, then cert-chain.pem (for a plug-in CA), then the root(s).
func (a *Authority) Chain(leafPEM []byte) []string {
	out := []string{string(leafPEM)}
	if len(a.chainPEM) > 0 {
		out = append(out, string(a.chainPEM)+"\n")
	}
	return append(out, string(a.rootsPEM))
}

// Issue signs a certificate for pub naming id, valid for ttl (cut to the signing certificate's end).
// The subject is empty, so the SAN extension is critical (RFC 5280), as for Istio's workload certificates.
func (a *Authority) Issue(pub crypto.PublicKey, id Identity, ttl time.Duration) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(ttl)
	if notAfter.After(a.cert.NotAfter) {
		notAfter = a.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// A minute back: the clocks of the proxy and meshd are never exactly the same.
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              id.DNSNames,
		IPAddresses:           id.IPs,
	}
	for _, u := range id.URIs {
		parsed, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("identity %q: %w", u, err)
		}
		tmpl.URIs = append(tmpl.URIs, parsed)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, pub, a.signer)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func parseCertificate(p []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(p)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return x509.ParseCertificate(b.Bytes)
}

func parsePrivateKey(p []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(p)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", b.Type)
	}
	if err != nil {
		return nil, err
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%T cannot sign", key)
	}
	return s, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k.(equaler).Equal(b)
	}
	return false
}

func encodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// chainDER are the certificates of cert-chain.pem, roots excepted, DER: what a server sends after its leaf.
// A self-signed root has none.
func (a *Authority) chainDER() [][]byte {
	var out [][]byte
	if !bytes.Equal(a.cert.RawIssuer, a.cert.RawSubject) && !bytes.Contains(a.chainPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.cert.Raw})) {
		out = append(out, a.cert.Raw) // a cert-chain.pem that starts above the signing certificate
	}
	rest := a.chainPEM
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil || bytes.Equal(c.RawIssuer, c.RawSubject) {
			continue // roots are the client's own
		}
		out = append(out, b.Bytes)
	}
}

func (a *Authority) intermediatePool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.cert)
	p.AppendCertsFromPEM(a.chainPEM)
	return p
}
