// Package identity is the proxy's workload identity, as Istio's agent keeps it: an ECDSA P-256 key
// made in the process, a certificate for it from meshd's CA (Istio's CSR service,
// istio.v1.auth.IstioCertificateService/CreateCertificate on 15012, over TLS verified with the mesh's
// root, authenticated by the pod's projected service-account token), renewed when half its life is
// gone, and the mesh's roots. It resolves the two SDS names docs/xds.md gives every proxy: default
// (the certificate) and ROOTCA (the roots).
package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	pb "istio.io/api/security/v1alpha1"

	"github.com/meshctl/meshctl/xdscontract"
)

// DefaultGraceRatio is Istio's SECRET_GRACE_PERIOD_RATIO: a certificate is renewed when this share of
// its life is left.
const DefaultGraceRatio = 0.5

// Options say where the CA is and where the pod's credentials are mounted.
type Options struct {
	CAAddr       string // host:port, CA_ADDR
	RootCertFile string // the mesh's root(s), PEM: the istio-ca-root-cert ConfigMap's root-cert.pem
	TokenFile    string // the projected service-account token, audience istio-ca
	// TTL is the lifetime asked for (0: the CA's default); GraceRatio the share of life left when the
	// certificate is renewed (0: DefaultGraceRatio).
	TTL        time.Duration
	GraceRatio float64
	Log        *slog.Logger
	// DialOptions are added to the CA connection's (tests).
	DialOptions []grpc.DialOption
}

// Agent holds the identity and renews it.
type Agent struct {
	o     Options
	cert  atomic.Pointer[tls.Certificate]
	roots atomic.Pointer[x509.CertPool]
	ready chan struct{} // closed once the first certificate is in
}

// New is an agent without a certificate yet; Run (or Fetch) gets one.
func New(o Options) *Agent {
	if o.GraceRatio <= 0 || o.GraceRatio >= 1 {
		o.GraceRatio = DefaultGraceRatio
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Agent{o: o, ready: make(chan struct{})}
}

// Ready is closed once the first certificate is in service.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Certificate resolves SDS name default: the workload certificate (with its chain).
func (a *Agent) Certificate(name string) (*tls.Certificate, bool) {
	if name != xdscontract.SecretWorkload {
		return nil, false
	}
	c := a.cert.Load()
	return c, c != nil
}

// Roots resolves SDS name ROOTCA: the mesh's roots.
func (a *Agent) Roots(name string) (*x509.CertPool, bool) {
	if name != xdscontract.SecretRootCA {
		return nil, false
	}
	p := a.roots.Load()
	return p, p != nil
}

// ClientTLS is the TLS configuration to dial meshd (xDS on 15012): meshd verified against the mesh's
// roots for the address's host name, the workload certificate presented once there is one.
func (a *Agent) ClientTLS(addr string) (*tls.Config, error) {
	roots, err := a.fileRoots()
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: host,
		RootCAs:    roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if c := a.cert.Load(); c != nil {
				return c, nil
			}
			return &tls.Certificate{}, nil
		},
	}, nil
}

// fileRoots reads the mounted roots; read at each use, since the ConfigMap volume follows a root change.
func (a *Agent) fileRoots() (*x509.CertPool, error) {
	b, err := os.ReadFile(a.o.RootCertFile)
	if err != nil {
		return nil, fmt.Errorf("mesh root certificate: %w", err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("mesh root certificate %s: no PEM certificate", a.o.RootCertFile)
	}
	return p, nil
}

// Run gets a certificate and renews it until ctx ends, retrying failures with back-off.
func (a *Agent) Run(ctx context.Context) {
	backoff := time.Second
	for {
		var wait time.Duration
		leaf, err := a.Fetch(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			wait = backoff
			backoff = min(2*backoff, time.Minute)
			a.o.Log.Warn("workload certificate: CSR failed; retrying", "ca", a.o.CAAddr, "err", err, "retry_in", wait)
		default:
			backoff = time.Second
			wait = time.Until(RenewAt(leaf, a.o.GraceRatio))
			a.o.Log.Info("workload certificate issued", "identity", uris(leaf), "expires", leaf.NotAfter.UTC().Format(time.RFC3339), "renew_in", wait.Round(time.Second))
		}
		t := time.NewTimer(max(wait, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// RenewAt is when a certificate is renewed: when ratio of its life is left.
func RenewAt(leaf *x509.Certificate, ratio float64) time.Time {
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return leaf.NotAfter.Add(-time.Duration(math.Round(float64(life) * ratio)))
}

// Fetch makes a new key, has the CA certify it, and puts the certificate in service; it returns the
// leaf.
func (a *Agent) Fetch(ctx context.Context) (*x509.Certificate, error) {
	token, err := os.ReadFile(a.o.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("service-account token: %w", err)
	}
	roots, err := a.fileRoots()
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return nil, fmt.Errorf("create CSR: %w", err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	tlsCfg, err := a.ClientTLS(a.o.CAAddr)
	if err != nil {
		return nil, err
	}
	tlsCfg.RootCAs = roots
	conn, err := grpc.NewClient(a.o.CAAddr, append([]grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg))}, a.o.DialOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("dial CA %s: %w", a.o.CAAddr, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := pb.NewIstioCertificateServiceClient(conn).CreateCertificate(ctx, &pb.IstioCertificateRequest{
		Csr: string(csr), ValidityDuration: int64(a.o.TTL / time.Second)})
	if err != nil {
		return nil, fmt.Errorf("CreateCertificate at %s: %w", a.o.CAAddr, err)
	}
	cert, leaf, err := certificate(resp.GetCertChain(), key, roots)
	if err != nil {
		return nil, fmt.Errorf("CA %s answered: %w", a.o.CAAddr, err)
	}
	a.cert.Store(cert)
	a.roots.Store(roots)
	select {
	case <-a.ready:
	default:
		close(a.ready)
	}
	return leaf, nil
}

// certificate checks the CA's answer (leaf first, root last) against the mesh's roots and the key,
// and adds the answer's root to roots (it came over a connection those roots verified).
func certificate(chain []string, key *ecdsa.PrivateKey, roots *x509.CertPool) (*tls.Certificate, *x509.Certificate, error) {
	if len(chain) == 0 {
		return nil, nil, errors.New("an empty certificate chain")
	}
	var certs []*x509.Certificate
	for _, p := range chain {
		rest := []byte(p)
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("certificate chain: %w", err)
			}
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("no PEM certificate in the chain")
	}
	leaf := certs[0]
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("the certificate is not for the key sent")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, nil, fmt.Errorf("the certificate does not verify against the mesh's roots: %w", err)
	}
	if len(certs) > 1 {
		roots.AddCert(certs[len(certs)-1])
	}
	out := &tls.Certificate{PrivateKey: key, Leaf: leaf}
	// The chain presented: the leaf and intermediates, not the root the peer has already.
	for i, c := range certs {
		if i > 0 && i == len(certs)-1 && isSelfSigned(c) {
			break
		}
		out.Certificate = append(out.Certificate, c.Raw)
	}
	return out, leaf, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.CheckSignatureFrom(c) == nil
}

func uris(c *x509.Certificate) []string {
	var out []string
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}
