// Package tlsconf turns the configuration's TLS settings (ir.TLS) into crypto/tls configurations:
// server side for filter chains, client side for clusters. Secrets named by SDS name come from the
// proxy's agent (Secrets) at each handshake, so a renewed certificate or root is used at once.
// Verification is Envoy's with a validation context: the peer's chain against the trusted roots, no
// host name check, and the configured subject alternative names (SPIFFE identities).
package tlsconf

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

// Secrets resolves the SDS names the configuration uses.
type Secrets interface {
	// Certificate is the named certificate with its key; false: the name is not known (yet).
	Certificate(name string) (*tls.Certificate, bool)
	// Roots are the named trusted roots; false: not known.
	Roots(name string) (*x509.CertPool, bool)
}

// Unresolvable says why t cannot be used with s ("" when it can): a secret s does not know.
func Unresolvable(t *ir.TLS, s Secrets) string {
	if t == nil {
		return ""
	}
	if n := t.CertificateSecret; n != "" {
		if s == nil || noAgent(s, n) {
			return "certificate " + n + ": the proxy has no identity (no agent certificate)"
		}
		if _, ok := s.Certificate(n); !ok {
			return "certificate " + n + ": not known to this proxy (yet: an SDS secret not received)"
		}
	}
	if n := t.ValidationSecret; n != "" {
		if s == nil || noAgent(s, n) {
			return "validation context " + n + ": the proxy has no identity (no mesh roots)"
		}
		if _, ok := s.Roots(n); !ok {
			return "validation context " + n + ": not known to this proxy (yet: an SDS secret not received)"
		}
	}
	return ""
}

// noAgent: s is a Store without the proxy's agent and n one of the agent's names.
func noAgent(s Secrets, n string) bool {
	st, ok := s.(*Store)
	return ok && st.agent == nil && (n == xdscontract.SecretWorkload || n == xdscontract.SecretRootCA)
}

// static is what a configuration holds itself: a certificate and roots given as PEM.
type static struct {
	cert  *tls.Certificate
	roots *x509.CertPool
}

func parseStatic(t *ir.TLS) (static, error) {
	var st static
	if len(t.CertificatePEM) > 0 {
		c, err := tls.X509KeyPair(t.CertificatePEM, t.KeyPEM)
		if err != nil {
			return st, fmt.Errorf("certificate: %w", err)
		}
		st.cert = &c
	}
	if len(t.TrustedCAPEM) > 0 {
		st.roots = x509.NewCertPool()
		if !st.roots.AppendCertsFromPEM(t.TrustedCAPEM) {
			return st, errors.New("trusted CA: no PEM certificate")
		}
	}
	return st, nil
}

func (st static) certificate(t *ir.TLS, s Secrets) (*tls.Certificate, error) {
	if t.CertificateSecret == "" {
		return st.cert, nil
	}
	if s != nil {
		if c, ok := s.Certificate(t.CertificateSecret); ok {
			return c, nil
		}
	}
	return nil, fmt.Errorf("certificate %s: not available", t.CertificateSecret)
}

func (st static) trusted(t *ir.TLS, s Secrets) (*x509.CertPool, bool, error) {
	if t.ValidationSecret == "" {
		return st.roots, st.roots != nil, nil
	}
	if s != nil {
		if p, ok := s.Roots(t.ValidationSecret); ok {
			return p, true, nil
		}
	}
	return nil, true, fmt.Errorf("validation context %s: not available", t.ValidationSecret)
}

// Server is the configuration that terminates TLS for a filter chain.
func Server(t *ir.TLS, s Secrets) (*tls.Config, error) {
	st, err := parseStatic(t)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion: orVersion(t.MinVersion, tls.VersionTLS12),
		MaxVersion: t.MaxVersion,
		NextProtos: t.ALPN,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			c, err := st.certificate(t, s)
			if err == nil && c == nil {
				err = errors.New("no certificate configured")
			}
			return c, err
		},
		ClientAuth:       tls.RequestClientCert,
		VerifyConnection: func(cs tls.ConnectionState) error { return verify(t, st, s, cs, t.RequireClientCert) },
	}
	if t.RequireClientCert {
		cfg.ClientAuth = tls.RequireAnyClientCert
	}
	return cfg, nil
}

// Client is the configuration that originates TLS to a cluster's endpoints.
func Client(t *ir.TLS, s Secrets) (*tls.Config, error) {
	st, err := parseStatic(t)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: orVersion(t.MinVersion, tls.VersionTLS12),
		MaxVersion: t.MaxVersion,
		NextProtos: t.ALPN,
		ServerName: t.SNI,
		// The chain is verified below, against the mesh's roots and without a host name: a mesh
		// certificate names a SPIFFE identity, not the address dialled.
		InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := st.certificate(t, s)
			if err != nil || c == nil {
				return &tls.Certificate{}, err
			}
			return c, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error { return verify(t, st, s, cs, true) },
	}, nil
}

// verify checks the peer's certificate: present when required, chained to the trusted roots when a
// validation context is configured, with a SAN the configuration accepts.
func verify(t *ir.TLS, st static, s Secrets, cs tls.ConnectionState, required bool) error {
	if len(cs.PeerCertificates) == 0 {
		if required {
			return errors.New("the peer presented no certificate")
		}
		return nil
	}
	roots, validate, err := st.trusted(t, s)
	if err != nil {
		return err
	}
	leaf := cs.PeerCertificates[0]
	if validate {
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return fmt.Errorf("peer certificate: %w", err)
		}
	}
	if len(t.SubjectAltNames) > 0 && !sanMatches(t.SubjectAltNames, leaf) {
		return fmt.Errorf("peer certificate: no subject alternative name matches (URIs %v, DNS %v)", leaf.URIs, leaf.DNSNames)
	}
	return nil
}

func sanMatches(ms []ir.SANMatch, c *x509.Certificate) bool {
	for _, m := range ms {
		var names []string
		switch m.Type {
		case ir.SANURI:
			for _, u := range c.URIs {
				names = append(names, u.String())
			}
		case ir.SANDNS:
			names = c.DNSNames
		}
		for _, n := range names {
			if m.Value.Matches(n) {
				return true
			}
		}
	}
	return false
}

func orVersion(v, def uint16) uint16 {
	if v == 0 {
		return def
	}
	return v
}

// Principal is the peer's identity as Istio's source.principal: its certificate's SPIFFE URI SAN
// without the scheme (cluster.local/ns/default/sa/sleep); "" without a SPIFFE identity.
func Principal(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	return SPIFFEPrincipal(cs.PeerCertificates[0])
}

// SPIFFEPrincipal is a certificate's SPIFFE identity without the scheme; "" when it has none.
func SPIFFEPrincipal(c *x509.Certificate) string {
	for _, u := range c.URIs {
		if u.Scheme == "spiffe" {
			return strings.TrimPrefix(u.String(), "spiffe://")
		}
	}
	return ""
}

// ClientCertHash is the hex SHA-256 of the peer's certificate, as x-forwarded-client-cert's Hash.
func ClientCertHash(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
