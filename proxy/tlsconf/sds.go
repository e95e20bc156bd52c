package tlsconf

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/meshctl/meshctl/proxy/ir"
)

// Store resolves the secrets meshd sends by SDS (a gateway's kubernetes:// credentials) over
// those of the proxy's agent. Set replaces them all at once; a handshake reads the current ones, so
// a rotated certificate is used from the next handshake, without rebuilding a listener or chain.
type Store struct {
	agent Secrets // may be nil
	cur   atomic.Pointer[map[string]parsedSecret]
}

type parsedSecret struct {
	src   *ir.Secret // what was parsed: the same bytes next time are not parsed again
	cert  *tls.Certificate
	roots *x509.CertPool
}

// NewStore is a Store with no SDS secrets over agent's (nil: none).
func NewStore(agent Secrets) *Store {
	s := &Store{agent: agent}
	s.cur.Store(&map[string]parsedSecret{})
	return s
}

// ParseSecret checks one SDS secret: a certificate with its key (PEM), or roots (PEM).
func ParseSecret(sec *ir.Secret) (certificate *tls.Certificate, roots *x509.CertPool, err error) {
	if len(sec.CertificatePEM) > 0 || len(sec.KeyPEM) > 0 {
		c, err := tls.X509KeyPair(sec.CertificatePEM, sec.KeyPEM)
		if err != nil {
			return nil, nil, fmt.Errorf("certificate: %w", err)
		}
		certificate = &c
	}
	if len(sec.TrustedCAPEM) > 0 {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(sec.TrustedCAPEM) {
			return nil, nil, errors.New("trusted CA: no PEM certificate")
		}
	}
	if certificate == nil && roots == nil {
		return nil, nil, errors.New("neither a certificate nor trusted roots")
	}
	return certificate, roots, nil
}

// Set makes secrets the SDS secrets; none is changed when one does not parse.
func (s *Store) Set(secrets map[string]*ir.Secret) error {
	prev := *s.cur.Load()
	next := make(map[string]parsedSecret, len(secrets))
	for name, sec := range secrets {
		if p, ok := prev[name]; ok && sameSecret(p.src, sec) {
			next[name] = p
			continue
		}
		c, r, err := ParseSecret(sec)
		if err != nil {
			return fmt.Errorf("secret %s: %w", name, err)
		}
		next[name] = parsedSecret{src: sec, cert: c, roots: r}
	}
	s.cur.Store(&next)
	return nil
}

// SecretsSnapshot is the SDS secrets at one moment, for Restore.
type SecretsSnapshot struct{ m *map[string]parsedSecret }

// Snapshot is the current SDS secrets.
func (s *Store) Snapshot() SecretsSnapshot { return SecretsSnapshot{s.cur.Load()} }

// Restore puts back what Snapshot returned (a configuration refused after Set).
func (s *Store) Restore(p SecretsSnapshot) { s.cur.Store(p.m) }

func sameSecret(a, b *ir.Secret) bool {
	return bytes.Equal(a.CertificatePEM, b.CertificatePEM) && bytes.Equal(a.KeyPEM, b.KeyPEM) && bytes.Equal(a.TrustedCAPEM, b.TrustedCAPEM)
}

// Certificate is an SDS certificate, else the agent's.
func (s *Store) Certificate(name string) (*tls.Certificate, bool) {
	if p, ok := (*s.cur.Load())[name]; ok && p.cert != nil {
		return p.cert, true
	}
	if s.agent == nil {
		return nil, false
	}
	return s.agent.Certificate(name)
}

// Roots are SDS roots, else the agent's.
func (s *Store) Roots(name string) (*x509.CertPool, bool) {
	if p, ok := (*s.cur.Load())[name]; ok && p.roots != nil {
		return p.roots, true
	}
	if s.agent == nil {
		return nil, false
	}
	return s.agent.Roots(name)
}
