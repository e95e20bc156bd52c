package ca

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrIdentity is a CSR that asks for an identity other than the caller's.
var ErrIdentity = errors.New("the CSR asks for an identity the caller does not have")

// parseCSR reads a PEM certificate request and checks its signature (the caller holds the key).
func parseCSR(csrPEM string) (*x509.CertificateRequest, error) {
	b, _ := pem.Decode([]byte(csrPEM))
	if b == nil || b.Type != "CERTIFICATE REQUEST" && b.Type != "NEW CERTIFICATE REQUEST" {
		return nil, errors.New("csr: no PEM CERTIFICATE REQUEST block")
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("csr: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("csr: %w", err)
	}
	return csr, nil
}

// checkRequested refuses a CSR naming anything but identity: the certificate will name the caller's
// identity whatever the CSR says, but a request for another one is an attack or a bug, and saying so
// beats silently issuing something else.
func checkRequested(csr *x509.CertificateRequest, identity string) error {
	for _, u := range csr.URIs {
		if u.String() != identity {
			return fmt.Errorf("%w: %s, not %s", ErrIdentity, u, identity)
		}
	}
	if len(csr.DNSNames) > 0 || len(csr.IPAddresses) > 0 || len(csr.EmailAddresses) > 0 {
		return fmt.Errorf("%w: DNS names, IP or e-mail addresses", ErrIdentity)
	}
	return nil
}
