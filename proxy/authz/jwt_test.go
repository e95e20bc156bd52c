package authz_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/meshctl/meshctl/proxy/authz"
	"github.com/meshctl/meshctl/proxy/ir"
)

// keys are an RSA and an EC signing key with their public key set (kids "rsa" and "ec").
type keys struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	jwks string
}

func newKeys(t testing.TB) keys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &rk.PublicKey, KeyID: "rsa", Algorithm: "RS256", Use: "sig"},
		{Key: &ek.PublicKey, KeyID: "ec", Algorithm: "ES256", Use: "sig"},
	}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return keys{rsa: rk, ec: ek, jwks: string(b)}
}

// sign makes a compact JWS of claims with the key of kid.
func (k keys) sign(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	var key jose.SigningKey
	switch kid {
	case "rsa":
		key = jose.SigningKey{Algorithm: jose.RS256, Key: k.rsa}
	default:
		key = jose.SigningKey{Algorithm: jose.ES256, Key: k.ec}
	}
	s, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithHeader("kid", kid).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const issuer = "https://issuer.example"

func claims(extra ...any) map[string]any {
	c := map[string]any{"iss": issuer, "sub": "alice", "aud": "shop", "exp": float64(time.Now().Add(time.Hour).Unix()), "azp": "web"}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == nil {
			delete(c, extra[i].(string))
			continue
		}
		c[extra[i].(string)] = extra[i+1]
	}
	return c
}

func jwtFilter(t testing.TB, k keys, edit func(*ir.JWTProvider)) *authz.JWT {
	t.Helper()
	p := ir.JWTProvider{Name: "p", Issuer: issuer, Audiences: []string{"shop", "other"}, JWKS: k.jwks, Forward: true}
	if edit != nil {
		edit(&p)
	}
	j, err := authz.NewJWT(&ir.JWTAuthn{Providers: []ir.JWTProvider{p}})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func bearer(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://shop/", nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// TestAuthenticate: Envoy's jwt_authn with Istio's requirement (any provider, or no token).
func TestAuthenticate(t *testing.T) {
	k := newKeys(t)
	other := newKeys(t)
	j := jwtFilter(t, k, nil)
	sig := k.sign(t, "ec", claims())
	tampered := sig[:strings.LastIndexByte(sig, '.')] + "." + strings.Repeat("A", 86)
	for _, c := range []struct {
		name      string
		tok       string
		ok        bool
		msg       string
		principal string
	}{
		{"no token passes, unauthenticated", "", true, "", ""},
		{"RS256", k.sign(t, "rsa", claims()), true, "", issuer + "/alice"},
		{"ES256", sig, true, "", issuer + "/alice"},
		{"audience among several", k.sign(t, "rsa", claims("aud", []any{"x", "other"})), true, "", issuer + "/alice"},
		{"another key set's signature", other.sign(t, "rsa", claims()), false, "Jwt verification fails", ""},
		{"tampered signature", tampered, false, "Jwt verification fails", ""},
		{"expired", k.sign(t, "rsa", claims("exp", float64(time.Now().Add(-time.Hour).Unix()))), false, "Jwt is expired", ""},
		{"expired within the skew", k.sign(t, "rsa", claims("exp", float64(time.Now().Add(-30*time.Second).Unix()))), true, "", issuer + "/alice"},
		{"not yet valid", k.sign(t, "rsa", claims("nbf", float64(time.Now().Add(time.Hour).Unix()))), false, "Jwt not yet valid", ""},
		{"wrong audience", k.sign(t, "rsa", claims("aud", "billing")), false, "Audiences in Jwt are not allowed", ""},
		{"no audience", k.sign(t, "rsa", claims("aud", nil)), false, "Audiences in Jwt are not allowed", ""},
		{"unknown issuer", k.sign(t, "rsa", claims("iss", "https://evil.example")), false, "Jwt issuer is not configured", ""},
		{"not a JWT", "abc", false, "Jwt verification fails", ""},
		{"unsigned (alg none)", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
			base64.RawURLEncoding.EncodeToString(mustJSON(claims())) + ".", false, "Jwt verification fails", ""},
	} {
		a, msg, ok := j.Authenticate(bearer(c.tok), time.Now())
		if ok != c.ok || msg != c.msg {
			t.Errorf("%s: ok %v %q, want %v %q", c.name, ok, msg, c.ok, c.msg)
			continue
		}
		got := ""
		if a != nil {
			got = a.Principal
		}
		if got != c.principal {
			t.Errorf("%s: principal %q, want %q", c.name, got, c.principal)
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestCachedTokenExpires: a token verified once is remembered, and refused once it expires.
func TestCachedTokenExpires(t *testing.T) {
	k := newKeys(t)
	j := jwtFilter(t, k, nil)
	now := time.Now()
	tok := k.sign(t, "ec", claims("exp", float64(now.Add(time.Minute).Unix())))
	for _, c := range []struct {
		at  time.Time
		ok  bool
		msg string
	}{{now, true, ""}, {now, true, ""}, {now.Add(time.Hour), false, "Jwt is expired"}} {
		if _, msg, ok := j.Authenticate(bearer(tok), c.at); ok != c.ok || msg != c.msg {
			t.Errorf("at %v: %v %q, want %v %q", c.at.Sub(now), ok, msg, c.ok, c.msg)
		}
	}
}

// TestTokenLocations: the default locations, configured headers and parameters, forwarding and
// the payload header.
func TestTokenLocations(t *testing.T) {
	k := newKeys(t)
	tok := k.sign(t, "rsa", claims("groups", []any{"admins"}))

	j := jwtFilter(t, k, nil)
	r := httptest.NewRequest(http.MethodGet, "http://shop/?access_token="+tok, nil)
	if a, _, ok := j.Authenticate(r, time.Now()); !ok || a == nil {
		t.Errorf("access_token parameter (a default location): not authenticated")
	}

	custom := jwtFilter(t, k, func(p *ir.JWTProvider) {
		p.FromHeaders = []ir.JWTHeader{{Name: "X-Jwt"}}
		p.FromParams = []string{"token"}
		p.Forward = false
		p.PayloadHeader = "X-Jwt-Payload"
	})
	if a, _, ok := custom.Authenticate(bearer(tok), time.Now()); !ok || a != nil {
		t.Errorf("Authorization is not a configured location: got %v %v, want no credential", a, ok)
	}
	r = httptest.NewRequest(http.MethodGet, "http://shop/", nil)
	r.Header.Set("X-Jwt", tok)
	a, _, ok := custom.Authenticate(r, time.Now())
	if !ok || a == nil || a.Claims["groups"] == nil {
		t.Fatalf("x-jwt: %v %v", a, ok)
	}
	if r.Header.Get("X-Jwt") != "" {
		t.Errorf("forward false: the token header is still there")
	}
	if want := strings.Split(tok, ".")[1]; r.Header.Get("X-Jwt-Payload") != want {
		t.Errorf("payload header %q, want the payload segment %q", r.Header.Get("X-Jwt-Payload"), want)
	}
	r = httptest.NewRequest(http.MethodGet, "http://shop/?token=garbage", nil)
	if _, msg, ok := custom.Authenticate(r, time.Now()); ok || msg != "Jwt verification fails" {
		t.Errorf("a bad token in a parameter: %v %q", ok, msg)
	}
}

// TestBadKeySet: a key set that is not JSON is refused (the configuration is NACKed); keys the
// proxy cannot use are skipped.
func TestBadKeySet(t *testing.T) {
	if _, err := authz.NewJWT(&ir.JWTAuthn{Providers: []ir.JWTProvider{{Name: "p", Issuer: issuer, JWKS: "{"}}}); err == nil {
		t.Errorf("a key set that is not JSON was accepted")
	}
	j, err := authz.NewJWT(&ir.JWTAuthn{Providers: []ir.JWTProvider{{Name: "p", Issuer: issuer, JWKS: `{"keys":[{"kty":"XX"}]}`}}})
	if err != nil {
		t.Fatal(err)
	}
	k := newKeys(t)
	if _, msg, ok := j.Authenticate(bearer(k.sign(t, "rsa", claims())), time.Now()); ok || msg != "Jwt verification fails" {
		t.Errorf("no usable key: %v %q", ok, msg)
	}
}
