package ca

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	pb "istio.io/api/security/v1alpha1"
	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fakeReviews answers TokenReviews as an API server would for three tokens: "good" (service account
// ns1/sa1, audience istio-ca), "other-audience" and "expired".
func fakeReviews() *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview).DeepCopy()
		switch tr.Spec.Token {
		case "good":
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences,
				User: authnv1.UserInfo{Username: "system:serviceaccount:ns1:sa1"}}
		case "user":
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, Audiences: tr.Spec.Audiences, User: authnv1.UserInfo{Username: "alice"}}
		case "other-audience":
			tr.Status = authnv1.TokenReviewStatus{Authenticated: false, Error: "token audiences [\"api\"] is invalid for the target audiences [\"istio-ca\"]"}
		default:
			tr.Status = authnv1.TokenReviewStatus{Authenticated: false, Error: "token has expired"}
		}
		return true, tr, nil
	})
	return c
}

func newService(t testing.TB) *Service {
	m, err := NewMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	cur := NewCurrent()
	cur.Set(selfSigned(t))
	return &Service{CA: cur, Authenticator: &Authenticator{Reviews: fakeReviews().AuthenticationV1().TokenReviews()},
		TrustDomain: "cluster.local", TTL: 24 * time.Hour, MaxTTL: 48 * time.Hour, Metrics: m}
}

func withToken(token string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
}

func TestCreateCertificate(t *testing.T) {
	s := newService(t)
	key := ecKey(t)
	const id = "spiffe://cluster.local/ns/ns1/sa/sa1"
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		csr    string
		code   codes.Code
		reqTTL int64
	}{
		{"identity from the token", withToken("good"), csrFor(t, key), codes.OK, 0},
		{"CSR naming the caller", withToken("good"), csrFor(t, key, id), codes.OK, 3600},
		{"CSR naming another identity", withToken("good"), csrFor(t, key, "spiffe://cluster.local/ns/kube-system/sa/admin"), codes.PermissionDenied, 0},
		{"CSR naming a second identity", withToken("good"), csrFor(t, key, id, "spiffe://cluster.local/ns/ns1/sa/other"), codes.PermissionDenied, 0},
		{"wrong audience", withToken("other-audience"), csrFor(t, key), codes.Unauthenticated, 0},
		{"expired token", withToken("expired"), csrFor(t, key), codes.Unauthenticated, 0},
		{"not a service account", withToken("user"), csrFor(t, key), codes.Unauthenticated, 0},
		{"no token", context.Background(), csrFor(t, key), codes.Unauthenticated, 0},
		{"not a CSR", withToken("good"), "hello", codes.InvalidArgument, 0},
		{"CSR with a broken signature", withToken("good"), strings.Replace(csrFor(t, key), "A", "B", 3), codes.InvalidArgument, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.CreateCertificate(tc.ctx, &pb.IstioCertificateRequest{Csr: tc.csr, ValidityDuration: tc.reqTTL})
			if got := status.Code(err); got != tc.code {
				t.Fatalf("code = %s (%v), want %s", got, err, tc.code)
			}
			if tc.code != codes.OK {
				return
			}
			leaf := verifyChain(t, resp.CertChain, id)
			ttl := leaf.NotAfter.Sub(leaf.NotBefore) - time.Minute
			want := time.Until(s.CA.Get().cert.NotAfter) // the root lives an hour: it caps 24h
			if tc.reqTTL > 0 {
				want = time.Duration(tc.reqTTL) * time.Second
			}
			if d := ttl - want; d < -time.Minute || d > time.Minute {
				t.Errorf("lifetime %s, want about %s", ttl, want)
			}
		})
	}
}

func TestTTL(t *testing.T) {
	s := &Service{TTL: 24 * time.Hour, MaxTTL: 48 * time.Hour}
	for _, tc := range []struct {
		ask  int64
		want time.Duration
	}{{0, 24 * time.Hour}, {60, time.Minute}, {72 * 3600, 48 * time.Hour}, {-5, 24 * time.Hour}} {
		if got := s.ttl(tc.ask); got != tc.want {
			t.Errorf("ttl(%d) = %s, want %s", tc.ask, got, tc.want)
		}
	}
}

func TestNoCAIsUnavailable(t *testing.T) {
	s := newService(t)
	s.CA = NewCurrent()
	_, err := s.CreateCertificate(withToken("good"), &pb.IstioCertificateRequest{Csr: csrFor(t, ecKey(t))})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want Unavailable", err)
	}
}
