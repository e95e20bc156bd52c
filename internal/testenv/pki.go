package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// keyPair is a certificate with its ECDSA P-256 key. ECDSA rather than RSA: generating a
// dozen RSA keys was the slowest part of starting a cluster.
type keyPair struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	CertPEM []byte
	KeyPEM  []byte
}

// certSpec describes a certificate to issue.
type certSpec struct {
	cn     string
	orgs   []string
	server bool // serving certificate (else client)
	ips    []net.IP
	dns    []string
}

const certValidity = 365 * 24 * time.Hour

// newCA makes a self-signed certificate authority.
func newCA(cn string) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl, err := certTemplate(cn, nil)
	if err != nil {
		return nil, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("CA %s: %w", cn, err)
	}
	return newKeyPair(der, key)
}

// issue signs a leaf certificate with ca.
func (ca *keyPair) issue(s certSpec) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl, err := certTemplate(s.cn, s.orgs)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if s.server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	tmpl.IPAddresses, tmpl.DNSNames = s.ips, s.dns
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", s.cn, err)
	}
	return newKeyPair(der, key)
}

func certTemplate(cn string, orgs []string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    now.Add(-time.Hour), // tolerate a little clock skew
		NotAfter:     now.Add(certValidity),
	}, nil
}

func newKeyPair(der []byte, key *ecdsa.PrivateKey) (*keyPair, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &keyPair{
		cert:    cert,
		key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// write stores name.crt and name.key in dir.
func (kp *keyPair) write(dir, name string) error {
	if err := os.WriteFile(filepath.Join(dir, name+".crt"), kp.CertPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".key"), kp.KeyPEM, 0o600)
}

// clusterPKI is every certificate and key the control plane needs.
type clusterPKI struct {
	dir                                string
	ca                                 *keyPair // the cluster's CA: signs serving and client certificates
	frontProxyCA                       *keyPair // signs the apiserver's client certificate towards aggregated APIs
	admin                              *keyPair // kubernetes-admin, group system:masters
	controllerManager, scheduler, kwok *keyPair
}

// path is a file of the PKI folder, for component flags.
func (p *clusterPKI) path(name string) string { return filepath.Join(p.dir, name) }

// apiServerSANs are the names clients reach the apiserver by: loopback from outside, the real
// node's bridge address, the kubernetes Service (first IP of the service range) and its DNS names from pods.
var (
	apiServerIPs = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(serviceClusterIP), net.ParseIP(nodeIP)}
	apiServerDNS = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
)

// newClusterPKI generates the PKI into dir. Client identities follow kubeadm's, so RBAC sees
// the users and groups a real control plane uses.
func newClusterPKI(dir string) (*clusterPKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &clusterPKI{dir: dir}
	var err error
	if p.ca, err = newCA("meshctl-testenv-ca"); err != nil {
		return nil, err
	}
	if p.frontProxyCA, err = newCA("meshctl-testenv-front-proxy-ca"); err != nil {
		return nil, err
	}
	var apiserver, kubeletClient, frontProxyClient *keyPair
	leaves := []struct {
		dst  **keyPair
		ca   *keyPair
		spec certSpec
	}{
		{&apiserver, p.ca, certSpec{cn: "kube-apiserver", server: true, ips: apiServerIPs, dns: apiServerDNS}},
		{&kubeletClient, p.ca, certSpec{cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}}},
		{&frontProxyClient, p.frontProxyCA, certSpec{cn: "front-proxy-client"}},
		{&p.admin, p.ca, certSpec{cn: "kubernetes-admin", orgs: []string{"system:masters"}}},
		{&p.controllerManager, p.ca, certSpec{cn: "system:kube-controller-manager"}},
		{&p.scheduler, p.ca, certSpec{cn: "system:kube-scheduler"}},
		// KWOK writes the status of every fake node and pod; kwokctl gives it admin as well.
		{&p.kwok, p.ca, certSpec{cn: "kwok-controller", orgs: []string{"system:masters"}}},
	}
	for _, l := range leaves {
		if *l.dst, err = l.ca.issue(l.spec); err != nil {
			return nil, err
		}
	}
	files := map[string]*keyPair{
		"ca": p.ca, "front-proxy-ca": p.frontProxyCA, "apiserver": apiserver,
		"apiserver-kubelet-client": kubeletClient, "front-proxy-client": frontProxyClient,
	}
	for name, kp := range files {
		if err := kp.write(dir, name); err != nil {
			return nil, err
		}
	}
	return p, writeServiceAccountKey(dir)
}

// writeServiceAccountKey writes sa.key/sa.pub, which sign and verify ServiceAccount tokens.
func writeServiceAccountKey(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	priv, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: priv}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}
