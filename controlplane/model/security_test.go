package model_test

import (
	"strings"
	"testing"

	"github.com/meshctl/meshctl/controlplane/model"
)

const securityYAML = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-get, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  rules: [{to: [{operation: {methods: [GET]}}]}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: shop}
spec:
  jwtRules:
  - {issuer: a, jwksUri: "https://a.example/jwks"}
  - {issuer: b, jwks: '{"keys":[]}'}
  - {issuer: c, jwksUri: "https://a.example/jwks"}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: other, namespace: ops}
spec:
  jwtRules: [{issuer: d, jwksUri: "https://d.example/jwks"}]
`

// TestSecurityKinds: the model keeps AuthorizationPolicies and RequestAuthentications, and names
// the key sets to fetch (jwksUri without inline jwks), once each.
func TestSecurityKinds(t *testing.T) {
	objs, err := model.DecodeYAML(strings.NewReader(securityYAML))
	if err != nil {
		t.Fatal(err)
	}
	s, err := model.FromObjects("cluster.local", objs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.AuthorizationPolicies) != 1 || s.AuthorizationPolicies[0].Spec.GetSelector().GetMatchLabels()["app"] != "web" {
		t.Errorf("authorization policies %+v", s.AuthorizationPolicies)
	}
	if len(s.RequestAuthentications) != 2 {
		t.Errorf("request authentications %+v", s.RequestAuthentications)
	}
	if got := strings.Join(s.JWKSURIs(), ","); got != "https://a.example/jwks,https://d.example/jwks" {
		t.Errorf("JWKSURIs %s", got)
	}
}
