package security

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pb "istio.io/api/security/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/controlplane/ca"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/meshapi"
)

func newCSR(t *testing.T, uris ...string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.CertificateRequest{}
	for _, u := range uris {
		p, err := parseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, p)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// leafOf verifies a CSR answer against root (PEM) and returns the leaf's SPIFFE ID.
func leafOf(t *testing.T, chain []string, root []byte) string {
	t.Helper()
	if len(chain) < 2 {
		t.Fatalf("chain of %d", len(chain))
	}
	b, _ := pem.Decode([]byte(chain[0]))
	leaf, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AppendCertsFromPEM(root)
	for _, c := range chain[1:] {
		inter.AppendCertsFromPEM([]byte(c))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("leaf does not verify against the root: %v", err)
	}
	if strings.TrimSpace(chain[len(chain)-1]) != strings.TrimSpace(string(root)) {
		t.Error("the chain does not end with the root")
	}
	if len(leaf.URIs) != 1 {
		t.Fatalf("leaf URIs %v", leaf.URIs)
	}
	return leaf.URIs[0].String()
}

// TestCSRWithProjectedTokens: a proxy's CSR with its projected token (audience istio-ca) gets its service
// account's SPIFFE identity, whatever else it asks for; other tokens and identities are refused.
func TestCSRWithProjectedTokens(t *testing.T) {
	env := testenv.Get(t)
	meshNS, appNS := env.Namespace(t), env.Namespace(t)
	m := startMeshd(t, env, meshNS, "", "replica-0", func(o *Options) { o.WebhookAddr = "-" })
	client := csrClient(t, m, meshNS)
	sa, err := env.Client().CoreV1().ServiceAccounts(appNS).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reviews"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	root := m.CA().Get().RootsPEM()
	want := meshapi.SPIFFEID("cluster.local", appNS, "reviews")

	good := projectedToken(t, env, appNS, "reviews", meshapi.CAAudience)
	resp, err := client.CreateCertificate(bearer(t.Context(), good), &pb.IstioCertificateRequest{Csr: newCSR(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := leafOf(t, resp.CertChain, root); got != want {
		t.Errorf("identity %s, want %s", got, want)
	}

	// A forged but well-formed token is accepted while unexpired: the expired case below fails for its
	// expiry alone.
	fresh := forgedToken(t, env, appNS, "reviews", string(sa.UID), meshapi.CAAudience, time.Now().Add(time.Hour))
	if _, err := client.CreateCertificate(bearer(t.Context(), fresh), &pb.IstioCertificateRequest{Csr: newCSR(t)}); err != nil {
		t.Fatalf("a token signed with the cluster's key, unexpired: %v", err)
	}
	for _, tc := range []struct {
		name  string
		token string
		csr   string
		code  codes.Code
	}{
		{"wrong audience", projectedToken(t, env, appNS, "reviews", "some-other-audience"), newCSR(t), codes.Unauthenticated},
		{"expired token", forgedToken(t, env, appNS, "reviews", string(sa.UID), meshapi.CAAudience, time.Now().Add(-time.Minute)), newCSR(t), codes.Unauthenticated},
		{"another identity", good, newCSR(t, meshapi.SPIFFEID("cluster.local", "kube-system", "default")), codes.PermissionDenied},
		{"no token", "", newCSR(t), codes.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.token != "" {
				ctx = bearer(ctx, tc.token)
			}
			_, err := client.CreateCertificate(ctx, &pb.IstioCertificateRequest{Csr: tc.csr})
			if status.Code(err) != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	if n := counter(t, m, "citadel_server_csr_count"); n < 6 {
		t.Errorf("citadel_server_csr_count = %v, want 6", n)
	}
	if n := counter(t, m, "citadel_server_success_cert_issuance_count"); n != 2 {
		t.Errorf("citadel_server_success_cert_issuance_count = %v, want 2", n)
	}
	if n := counter(t, m, "citadel_server_root_cert_expiry_timestamp"); n < float64(time.Now().Add(365*24*time.Hour).Unix()) {
		t.Errorf("citadel_server_root_cert_expiry_timestamp = %v, want a year away at least", n)
	}
	// The self-signed root is in istio-ca-secret, made once.
	secret, err := env.Client().CoreV1().Secrets(meshNS).Get(t.Context(), meshapi.CASecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(secret.Data[meshapi.CACertKey])) != strings.TrimSpace(string(root)) {
		t.Error("the root in service is not istio-ca-secret's")
	}
}

// pluggedCA is a user's plug-in CA: a root and an intermediate below it, as `cacerts` holds them.
func pluggedCA(t *testing.T) map[string][]byte {
	t.Helper()
	rootPEM, rootKeyPEM, err := ca.SelfSignedRoot("plugged.example", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rootAuthority, err := ca.NewAuthority(rootPEM, rootKeyPEM, nil, rootPEM)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "intermediate"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	b, _ := pem.Decode(rootKeyPEM)
	rootKey, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, rootAuthority.Certificate(), key.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	interPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return map[string][]byte{
		meshapi.CACertKey: interPEM, meshapi.CAKeyKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		meshapi.RootCertKey: rootPEM, meshapi.CertChainKey: append(append([]byte{}, interPEM...), rootPEM...),
	}
}

// TestPluggedCA: with Secret cacerts, workload certificates chain through the user's intermediate to the
// user's root, and no self-signed root is made.
func TestPluggedCA(t *testing.T) {
	env := testenv.Get(t)
	meshNS, appNS := env.Namespace(t), env.Namespace(t)
	data := pluggedCA(t)
	if _, err := env.Client().CoreV1().Secrets(meshNS).Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: meshapi.PluggedCASecret}, Data: data}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	m := startMeshd(t, env, meshNS, "", "replica-0", func(o *Options) { o.WebhookAddr = "-" })
	client := csrClient(t, m, meshNS)
	if !m.CA().Get().Plugged {
		t.Fatal("the CA in service is not the plug-in one")
	}
	if _, err := env.Client().CoreV1().ServiceAccounts(appNS).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	resp, err := client.CreateCertificate(bearer(t.Context(), projectedToken(t, env, appNS, "app", meshapi.CAAudience)), &pb.IstioCertificateRequest{Csr: newCSR(t)})
	if err != nil {
		t.Fatal(err)
	}
	leafOf(t, resp.CertChain, data[meshapi.RootCertKey])
	if len(resp.CertChain) != 3 {
		t.Errorf("chain of %d, want leaf, cert-chain.pem, root", len(resp.CertChain))
	}
	// The published root is the user's.
	testenv.Poll(t, "istio-ca-root-cert with the plugged root", func(ctx context.Context) (bool, error) {
		cm, err := env.Client().CoreV1().ConfigMaps(appNS).Get(ctx, meshapi.RootCertConfigMap, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && cm.Data[meshapi.RootCertKey] == string(data[meshapi.RootCertKey]), err
	})
	if _, err := env.Client().CoreV1().Secrets(meshNS).Get(t.Context(), meshapi.CASecret, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("istio-ca-secret: err = %v, want none made while cacerts exists", err)
	}

	// The user rotates the plug-in CA: the new root is published and signs from then on.
	rotated := pluggedCA(t)
	secret, err := env.Client().CoreV1().Secrets(meshNS).Get(t.Context(), meshapi.PluggedCASecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret.Data = rotated
	if _, err := env.Client().CoreV1().Secrets(meshNS).Update(t.Context(), secret, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	testenv.Poll(t, "istio-ca-root-cert with the rotated root", func(ctx context.Context) (bool, error) {
		cm, err := env.Client().CoreV1().ConfigMaps(appNS).Get(ctx, meshapi.RootCertConfigMap, metav1.GetOptions{})
		return err == nil && cm.Data[meshapi.RootCertKey] == string(rotated[meshapi.RootCertKey]), err
	})
	resp, err = client.CreateCertificate(bearer(t.Context(), projectedToken(t, env, appNS, "app", meshapi.CAAudience)), &pb.IstioCertificateRequest{Csr: newCSR(t)})
	if err != nil {
		t.Fatal(err)
	}
	leafOf(t, resp.CertChain, rotated[meshapi.RootCertKey])
}

// TestRootCertConfigMap: istio-ca-root-cert is published in every namespace, labelled for uninstall
// --purge, and put back when deleted or edited.
func TestRootCertConfigMap(t *testing.T) {
	env := testenv.Get(t)
	meshNS, appNS := env.Namespace(t), env.Namespace(t)
	m := startMeshd(t, env, meshNS, "", "replica-0", func(o *Options) { o.WebhookAddr = "-" })
	cms := env.Client().CoreV1().ConfigMaps(appNS)
	published := func(what string) {
		t.Helper()
		testenv.Poll(t, what, func(ctx context.Context) (bool, error) {
			cm, err := cms.Get(ctx, meshapi.RootCertConfigMap, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			a := m.CA().Get()
			return err == nil && a != nil && cm.Data[meshapi.RootCertKey] == string(a.RootsPEM()) &&
				cm.Labels[meshapi.LabelPartOf] == meshapi.PartOfMeshctl && cm.Labels[meshapi.LabelIstioConfig] == "true", err
		})
	}
	published("istio-ca-root-cert published")
	if err := cms.Delete(t.Context(), meshapi.RootCertConfigMap, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	published("istio-ca-root-cert back after deletion")
	cm, err := cms.Get(t.Context(), meshapi.RootCertConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data[meshapi.RootCertKey] = "tampered"
	if _, err := cms.Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	published("istio-ca-root-cert restored after an edit")
	// A namespace created later gets it too.
	later := env.Namespace(t)
	testenv.Poll(t, "istio-ca-root-cert in a new namespace", func(ctx context.Context) (bool, error) {
		_, err := env.Client().CoreV1().ConfigMaps(later).Get(ctx, meshapi.RootCertConfigMap, metav1.GetOptions{})
		return err == nil, nil
	})
}

// TestLeaderElection: of two replicas one leads; when it stops, the other takes over.
func TestLeaderElection(t *testing.T) {
	env := testenv.Get(t)
	meshNS := env.Namespace(t)
	noHooks := func(o *Options) { o.WebhookAddr = "-" }
	a := startMeshd(t, env, meshNS, "", "replica-a", noHooks)
	b := startMeshd(t, env, meshNS, "", "replica-b", noHooks)
	var leader, follower *meshd
	testenv.Poll(t, "one leader", func(context.Context) (bool, error) {
		switch {
		case a.IsLeader() && !b.IsLeader():
			leader, follower = a, b
		case b.IsLeader() && !a.IsLeader():
			leader, follower = b, a
		default:
			return false, nil
		}
		return true, nil
	})
	// Both serve the same CA, whoever created it.
	testenv.Poll(t, "both replicas loaded the CA", func(context.Context) (bool, error) {
		return a.CA().Get() != nil && b.CA().Get() != nil, nil
	})
	if !a.CA().Get().Certificate().Equal(b.CA().Get().Certificate()) {
		t.Error("the replicas serve different roots")
	}
	leader.Stop(t)
	testenv.Poll(t, "the other replica takes over", func(context.Context) (bool, error) {
		return follower.IsLeader(), nil
	})
	lease, err := env.Client().CoordinationV1().Leases(meshNS).Get(t.Context(), meshapi.LeaderElectionLease, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != follower.opts.Identity {
		t.Errorf("lease holder %v, want %s", lease.Spec.HolderIdentity, follower.opts.Identity)
	}
}
