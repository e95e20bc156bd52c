package ca

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pb "istio.io/api/security/v1alpha1"
)

// FuzzCreateCertificate sends arbitrary CSR text to the CSR service: it answers with a certificate for
// the caller's identity or with InvalidArgument / PermissionDenied, never anything else and never a panic.
func FuzzCreateCertificate(f *testing.F) {
	f.Add(csrFor(f, ecKey(f)))
	f.Add(csrFor(f, ecKey(f), "spiffe://cluster.local/ns/bench/sa/sa"))
	f.Add(csrFor(f, ecKey(f), "spiffe://cluster.local/ns/other/sa/x"))
	f.Add("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n")
	f.Add("")
	s := benchService(f, selfSigned(f))
	f.Fuzz(func(t *testing.T, csr string) {
		resp, err := s.CreateCertificate(context.Background(), &pb.IstioCertificateRequest{Csr: csr})
		switch status.Code(err) {
		case codes.OK:
			verifyChain(t, resp.CertChain, "spiffe://cluster.local/ns/bench/sa/sa")
		case codes.InvalidArgument, codes.PermissionDenied:
		default:
			t.Fatalf("unexpected answer: %v", err)
		}
	})
}
