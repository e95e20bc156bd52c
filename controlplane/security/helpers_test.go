package security

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	pb "istio.io/api/security/v1alpha1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi"
	"github.com/meshctl/meshctl/profiles"
)

// meshd is one meshd replica's security half, running against the test cluster until the test ends
// (or Stop).
type meshd struct {
	*Security
	Registry *prometheus.Registry
	cancel   context.CancelFunc
	done     chan error
	stop     sync.Once
}

// Stop ends the replica and waits for it, as SIGTERM would; later calls do nothing.
func (m *meshd) Stop(t testing.TB) { m.stop.Do(func() { m.stopNow(t) }) }

func (m *meshd) stopNow(t testing.TB) {
	m.cancel()
	select {
	case err := <-m.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("Run did not return within 30s of its context's end")
	}
}

// startMeshd runs a replica in namespace with revision; edit may change its options.
func startMeshd(t testing.TB, env *testenv.Env, namespace, revision, identity string, edit func(*Options)) *meshd {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts := Options{
		Namespace: namespace, Revision: revision, Identity: identity,
		WebhookAddr: "127.0.0.1:0", ServingIPs: []net.IP{net.ParseIP("127.0.0.1")},
		LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond,
		Registerer: reg,
		Log:        slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})).With("replica", identity),
	}
	if edit != nil {
		edit(&opts)
	}
	s, err := New(env.Client(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &meshd{Security: s, Registry: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- s.Run(ctx) }()
	t.Cleanup(func() { m.Stop(t) })
	return m
}

// testWriter logs through t until the test ends, then drops lines (a replica may log while stopping).
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	defer func() { _ = recover() }() // a log line after the test ended
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// revisionFor is a revision name of the test's own: webhook configurations are cluster-wide.
func revisionFor(ns string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(ns))
	return fmt.Sprintf("t%x", h.Sum32())
}

// installInjectorConfigMaps creates meshd's ConfigMaps as the charts render them for the revision.
func installInjectorConfigMaps(t testing.TB, env *testenv.Env, ns, revision string) {
	t.Helper()
	var sets []string
	if revision != "" {
		sets = []string{"revision=" + revision}
	}
	in, err := render.InjectionDefaults(profiles.Input{Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0", Sets: sets})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]map[string]string{
		meshapi.Revisioned(meshapi.InjectorConfigMap, revision): {meshapi.InjectorConfigKey: in.Config, meshapi.InjectorValuesKey: in.Values},
		meshapi.Revisioned(meshapi.MeshConfigMap, revision):     {meshapi.MeshConfigKey: in.Mesh},
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
		if _, err := env.Client().CoreV1().ConfigMaps(ns).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// installWebhookConfigurations registers the revision's webhooks as the chart does, but at meshd's
// loopback address and limited to appNS, without a caBundle (meshd writes it) and with the validator
// failing open (meshd turns it to Fail).
func installWebhookConfigurations(t testing.TB, env *testenv.Env, meshNS, appNS, revision, addr string) {
	t.Helper()
	hooks := env.Client().AdmissionregistrationV1()
	labels := map[string]string{meshapi.LabelRevision: revision}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: meshapi.Revisioned(meshapi.InjectorWebhook, revision), Labels: labels},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         "namespace.sidecar-injector.istio.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://" + addr + "/inject")},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": appNS, meshapi.LabelInjection: meshapi.InjectionEnabled}},
			ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "sidecar.istio.io/inject", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"false"}}}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			ReinvocationPolicy:      ptr.To(admissionregistrationv1.NeverReinvocationPolicy),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: meshapi.ValidatorWebhook(revision, meshNS), Labels: labels},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "rev.validation.istio.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr.To("https://" + addr + "/validate")},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{"security.istio.io", "networking.istio.io", "telemetry.istio.io", "extensions.istio.io"},
					APIVersions: []string{"*"}, Resources: []string{"*"}},
			}},
			ObjectSelector:          &metav1.LabelSelector{MatchLabels: labels},
			FailurePolicy:           ptr.To(admissionregistrationv1.Ignore),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := hooks.MutatingWebhookConfigurations().Create(t.Context(), mwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = hooks.MutatingWebhookConfigurations().Delete(context.Background(), mwc.Name, metav1.DeleteOptions{})
	})
	if _, err := hooks.ValidatingWebhookConfigurations().Create(t.Context(), vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = hooks.ValidatingWebhookConfigurations().Delete(context.Background(), vwc.Name, metav1.DeleteOptions{})
	})
}

// installIstioCRDs applies the base chart's CRDs (its only template directive is the labels line).
func installIstioCRDs(t testing.TB, env *testenv.Env) {
	t.Helper()
	data, err := os.ReadFile("../../manifests/charts/base/templates/crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "{{") {
			l = `    meshctl.io/test: "true"`
		}
		lines = append(lines, l)
	}
	r := kubeyaml.NewReader(strings.NewReader(strings.Join(lines, "\n")), "crds.gen.yaml")
	crds := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions()
	for {
		d, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		objs, err := d.Objects()
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Value, &crd); err != nil {
				t.Fatal(err)
			}
			if _, err := crds.Create(t.Context(), &crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("create CRD %s: %v", crd.Name, err)
			}
		}
	}
	for _, name := range []string{"virtualservices.networking.istio.io", "gateways.networking.istio.io"} {
		testenv.Poll(t, "CRD "+name+" established", func(ctx context.Context) (bool, error) {
			crd, err := crds.Get(ctx, name, metav1.GetOptions{})
			return err == nil && slices.ContainsFunc(crd.Status.Conditions, func(c apiextensionsv1.CustomResourceDefinitionCondition) bool {
				return c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue
			}), nil
		})
	}
}

// csrClient dials the replica's CSR service the way a proxy does: TLS to istiod.<ns>.svc trusting the
// mesh's root, served by a gRPC server with the replica's TLSConfig.
func csrClient(t testing.TB, m *meshd, ns string) pb.IstioCertificateServiceClient {
	t.Helper()
	testenv.Poll(t, "CA loaded and serving certificate issued", func(context.Context) (bool, error) {
		return m.CA().Get() != nil && m.serving.Certificate() != nil, nil
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(m.TLSConfig())))
	m.Register(srv)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(m.CA().Get().RootsPEM())
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
		RootCAs: roots, ServerName: meshapi.ControlPlaneDNSNames(m.opts.Revision, ns)[0], MinVersion: tls.VersionTLS12})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return pb.NewIstioCertificateServiceClient(conn)
}

func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// projectedToken asks the API server for a service account token for audience, as the kubelet does for the
// pod's istio-token volume.
func projectedToken(t testing.TB, env *testenv.Env, ns, sa, audience string) string {
	t.Helper()
	tr, err := env.Client().CoreV1().ServiceAccounts(ns).CreateToken(t.Context(), sa, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{Audiences: []string{audience}, ExpirationSeconds: ptr.To(int64(600))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// forgedToken signs a service account token with the test cluster's own signing key, expiring at exp:
// the only way to hold an expired token without waiting (the API server issues ten minutes at least).
func forgedToken(t testing.TB, env *testenv.Env, ns, sa, uid, audience string, exp time.Time) string {
	t.Helper()
	pemKey, err := os.ReadFile(filepath.Join(env.Cluster.Dir, "pki", "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(pemKey)
	if b == nil {
		t.Fatal("sa.key: no PEM")
	}
	key, err := x509.ParseECPrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(v any) string {
		j, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(j)
	}
	now := time.Now()
	claims := map[string]any{
		"iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:" + ns + ":" + sa,
		"aud": []string{audience}, "exp": exp.Unix(), "iat": now.Add(-time.Hour).Unix(), "nbf": now.Add(-time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": ns, "serviceaccount": map[string]any{"name": sa, "uid": uid}},
	}
	signing := enc(map[string]string{"alg": "ES256", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }
