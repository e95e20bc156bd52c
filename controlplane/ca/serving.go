package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Serving is meshd's own serving certificate (xDS and CA on 15012, webhooks on 15017), issued by the
// mesh's CA so that proxies (which trust istio-ca-root-cert) and the API server (which gets the root as
// the webhooks' caBundle) verify it. It is renewed when two thirds of its life have passed, and at once
// when the authority changes.
type Serving struct {
	CA       *Current
	Identity Identity
	// TTL is the certificate's lifetime (DefaultWorkloadTTL when 0).
	TTL time.Duration
	Log *slog.Logger

	cert   atomic.Pointer[tls.Certificate]
	issued chan struct{}
}

// ErrNotReady is a handshake before the first certificate was issued.
var ErrNotReady = errors.New("no serving certificate yet: the CA is not loaded")

// TLSConfig serves the current certificate, whichever it is at each handshake.
func (s *Serving) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			c := s.cert.Load()
			if c == nil {
				return nil, ErrNotReady
			}
			return c, nil
		},
	}
}

// Certificate is the certificate in service (nil before the first).
func (s *Serving) Certificate() *tls.Certificate { return s.cert.Load() }

// Issued is closed once the first certificate is in service.
func (s *Serving) Issued() <-chan struct{} {
	s.init()
	return s.issued
}

func (s *Serving) init() {
	if s.issued == nil {
		s.issued = make(chan struct{})
	}
}

// Run issues and renews the certificate until ctx ends. Call Issued before Run from another goroutine
// only after Run started, or call it first: both use one channel made on first use.
func (s *Serving) Run(ctx context.Context) error {
	s.init()
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultWorkloadTTL
	}
	first := true
	for {
		changed := s.CA.Changed()
		var next <-chan time.Time
		if a := s.CA.Get(); a != nil {
			issued := time.Now()
			cert, err := s.issue(a, ttl)
			if err != nil {
				s.log().Error("serving certificate: cannot issue", "err", err)
				next = time.After(10 * time.Second)
			} else {
				s.cert.Store(cert)
				if first {
					close(s.issued)
					first = false
				}
				// From the issue time, not NotBefore, which is backdated for clock skew.
				renew := time.Until(issued.Add(cert.Leaf.NotAfter.Sub(issued) * 2 / 3))
				next = time.After(max(renew, time.Second))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-next:
		}
	}
}

func (s *Serving) issue(a *Authority, ttl time.Duration) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leafPEM, err := a.Issue(key.Public(), s.Identity, ttl)
	if err != nil {
		return nil, err
	}
	leaf, err := parseCertificate(leafPEM)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	// Intermediates of a plug-in CA go along, so that clients holding only the root verify the chain.
	c.Certificate = append(c.Certificate, a.chainDER()...)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: a.roots, Intermediates: a.intermediatePool()}); err != nil {
		return nil, fmt.Errorf("the issued certificate does not verify against the roots: %w", err)
	}
	return c, nil
}

func (s *Serving) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
