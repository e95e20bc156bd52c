package testenv

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

func TestClusterPKI(t *testing.T) {
	dir := t.TempDir()
	p, err := newClusterPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.ca.cert)
	frontRoots := x509.NewCertPool()
	frontRoots.AddCert(p.frontProxyCA.cert)

	load := func(name string) *x509.Certificate {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		if block == nil {
			t.Fatalf("%s: no PEM", name)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return c
	}

	server := load("apiserver.crt")
	// Verify checks IP SANs when DNSName is an IP address.
	for _, name := range []string{"127.0.0.1", serviceClusterIP, "kubernetes.default.svc", "localhost"} {
		if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: name}); err != nil {
			t.Errorf("apiserver certificate for %s: %v", name, err)
		}
	}
	clientUse := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	for name, kp := range map[string]*keyPair{"admin": p.admin, "controller-manager": p.controllerManager, "scheduler": p.scheduler, "kwok": p.kwok} {
		if _, err := kp.cert.Verify(clientUse); err != nil {
			t.Errorf("%s client certificate: %v", name, err)
		}
	}
	if p.admin.cert.Subject.Organization[0] != "system:masters" {
		t.Errorf("admin groups = %v, want system:masters", p.admin.cert.Subject.Organization)
	}
	if p.controllerManager.cert.Subject.CommonName != "system:kube-controller-manager" {
		t.Errorf("controller-manager user = %q: the bootstrap RBAC roles are bound to system:kube-controller-manager", p.controllerManager.cert.Subject.CommonName)
	}
	frontProxy := load("front-proxy-client.crt")
	if _, err := frontProxy.Verify(x509.VerifyOptions{Roots: frontRoots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("front-proxy client certificate: %v", err)
	}
	if _, err := frontProxy.Verify(clientUse); err == nil {
		t.Error("front-proxy client certificate must not be signed by the cluster CA")
	}
	for _, f := range []string{"sa.key", "sa.pub", "ca.key", "apiserver.key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
