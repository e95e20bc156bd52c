package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
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
	cases := []struct {
		name, path, header, want string
	}{
		{"an allowed path", "/", "", "200"},
		{"denied to all", "/denied.html", good, "403"},
		{"no token where one is required", "/test.html", "", "403"},
		{"a token of another key", "/test.html", forged, "401"},
		{"a valid token", "/test.html", good, "200"},
		{"a token of another key on the split route", "/", forged, "401"},
	}
	// Each nginx pod's sidecar gets the two policies on its own, maybe in two pushes: one 403 proves
	// only one pod has the DENY. Wait until every case holds for 10 requests (the 30/70 split of "/"
	// sends some of them to each pod), then assert.
	mismatch := func(ctx context.Context) (string, error) {
		for _, c := range cases {
			var h []string
			if c.header != "" {
				h = []string{c.header}
			}
			got, err := tryStatuses(ctx, env, ns, 10, "http://nginx"+c.path, h...)
			if err != nil {
				return c.name, err
			}
			if len(got) != 10 {
				return c.name, fmt.Errorf("%d answers of 10: %v", len(got), got)
			}
			for _, s := range got {
				if code, _, _ := strings.Cut(s, "|"); code != c.want {
					return c.name, nil
				}
			}
		}
		return "", nil
	}
	testenv.Poll(t, "both nginx pods enforce the policies", func(ctx context.Context) (bool, error) {
		name, err := mismatch(ctx)
		if name != "" && err == nil {
			err = fmt.Errorf("%s: not yet", name)
		}
		return name == "" && err == nil, err
	})
	for _, c := range cases {
		var h []string
		if c.header != "" {
			h = []string{c.header}
		}
		got := statuses(t, curl, 10, "http://nginx"+c.path, h...)
		if len(got) != 10 {
			t.Errorf("%s: GET %s: %d answers of 10: %v", c.name, c.path, len(got), got)
		}
		for _, s := range got {
			if code, _, _ := strings.Cut(s, "|"); code != c.want {
				t.Errorf("%s: GET %s: %s, want %s", c.name, c.path, code, c.want)
			}
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
	testenv.Poll(t, "/test.html open again", func(ctx context.Context) (bool, error) {
		got, err := tryStatuses(ctx, env, ns, 1, "http://nginx/test.html")
		return err == nil && len(got) == 1 && strings.HasPrefix(got[0], "200|"), err
	})
}
