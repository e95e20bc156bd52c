package authz_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/authz"
	"github.com/meshctl/meshctl/proxy/ir"
)

// FuzzAuthenticate: whatever a client sends as a token, the filter answers without panicking and
// never takes it for a credential (only the test's key signs).
func FuzzAuthenticate(f *testing.F) {
	k := newKeys(f)
	good := k.sign(f, "rsa", claims())
	parts := strings.Split(good, ".")
	f.Add(good[:len(good)-2])
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("..")
	f.Add("a.b.c")
	f.Add(parts[0] + ".e30." + parts[2])
	f.Add(`eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIn0.`)
	j := jwtFilter(f, k, nil)
	f.Fuzz(func(t *testing.T, tok string) {
		if sameToken(tok, good) {
			return
		}
		a, msg, ok := j.Authenticate(bearer(tok), time.Now())
		if a != nil {
			t.Fatalf("token %q authenticated as %q", tok, a.Principal)
		}
		if !ok && msg == "" {
			t.Fatalf("token %q refused without a reason", tok)
		}
	})
}

// FuzzKeySet: any key set text compiles or is refused, without panicking.
func FuzzKeySet(f *testing.F) {
	f.Add(newKeys(f).jwks)
	f.Add(`{"keys":[]}`)
	f.Add(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`)
	f.Add(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`)
	f.Fuzz(func(t *testing.T, jwks string) {
		j, err := authzNewJWT(jwks)
		if err == nil && j == nil {
			t.Fatal("no filter and no error")
		}
	})
}

func authzNewJWT(jwks string) (*authz.JWT, error) {
	return authz.NewJWT(&ir.JWTAuthn{Providers: []ir.JWTProvider{{Name: "p", Issuer: issuer, JWKS: jwks}}})
}

// sameToken reports whether tok is good spelled another way the verifier reads alike, as Envoy's
// does: spaces around it, "=" padding, and base64 whose last character's unused low bits differ (16
// spellings of an RS256 signature's last character decode to the same bytes). The fuzzer that
// rebuilds good from its truncated seed builds one of those far more often than good itself.
func sameToken(tok, good string) bool {
	segs := strings.Split(strings.TrimSpace(tok), ".")
	if len(segs) != 3 {
		return false
	}
	for i, s := range segs {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return false
		}
		segs[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	return strings.Join(segs, ".") == good
}
