package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/meshctl/meshctl/internal/testenv"
)

const e2eIssuer = "e2e@meshctl.test"

// authzRules: the nginx pods accept tokens of the test's key, and refuse /test.html to requests
// without one and /denied* to everyone.
func authzRules(jwks string) string {
	return `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: nginx-jwt
spec:
  selector:
    matchLabels:
      app: nginx
  jwtRules:
  - issuer: ` + e2eIssuer + `
    jwks: '` + jwks + `'
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: nginx-deny
spec:
  selector:
    matchLabels:
      app: nginx
  action: DENY
  rules:
  - to:
    - operation:
        paths: ["/denied*"]
  - from:
    - source:
        notRequestPrincipals: ["*"]
    to:
    - operation:
        paths: ["/test.html"]
`
}

// authzCase: AuthorizationPolicy and RequestAuthentication enforced by the nginx pods' sidecars,
// seen from the curl pod: 403 for denied requests, 401 for a bad token, the page for a valid one.
func authzCase(t *testing.T, env *testenv.Env, ns string, curl curlFunc) {
	ctx := t.Context()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "e2e", Algorithm: "ES256", Use: "sig"}}})
	sign := func(k *ecdsa.PrivateKey) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", "e2e"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(map[string]any{"iss": e2eIssuer, "sub": "tester", "exp": time.Now().Add(time.Hour).Unix()})
		jws, err := s.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, forged := "Authorization: Bearer "+sign(key), "Authorization: Bearer "+sign(other)

	if out, err := env.KubectlInput(ctx, []byte(authzRules(string(jwks))), "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() {
		// The later cases reach nginx without a token.
		_, _ = env.Kubectl(context.Background(), "delete", "-n", ns, "requestauthentication/nginx-jwt", "authorizationpolicy/nginx-deny")
	})
	status := func(path string, headers ...string) string {
		got := statuses(t, curl, 1, "http://nginx"+path, headers...)
		if len(got) != 1 {
			t.Fatalf("GET %s: %v", path, got)
		}
		return strings.SplitN(got[0], "|", 2)[0]
	}
	testenv.Poll(t, "403 for /denied.html", func(context.Context) (bool, error) { return status("/denied.html") == "403", nil })
	for _, c := range []struct {
		name, path, header, want string
	}{
		{"an allowed path", "/", "", "200"},
		{"denied to all", "/denied.html", good, "403"},
		{"no token where one is required", "/test.html", "", "403"},
		{"a token of another key", "/test.html", forged, "401"},
		{"a valid token", "/test.html", good, "200"},
	} {
		var h []string
		if c.header != "" {
			h = []string{c.header}
		}
		if got := status(c.path, h...); got != c.want {
			t.Errorf("%s: GET %s: %s, want %s", c.name, c.path, got, c.want)
		}
	}
	if body := curl(t, "http://nginx/denied.html"); body != "RBAC: access denied" {
		t.Errorf("denied body %q, want Envoy's", body)
	}
	if body := curl(t, "-H", forged, "http://nginx/"); body != "Jwt verification fails" {
		t.Errorf("bad token body %q, want Envoy's", body)
	}
	if _, err := env.Kubectl(ctx, "delete", "-n", ns, "requestauthentication/nginx-jwt", "authorizationpolicy/nginx-deny"); err != nil {
		t.Fatal(err)
	}
	testenv.Poll(t, "/test.html open again", func(context.Context) (bool, error) { return status("/test.html") == "200", nil })
}
