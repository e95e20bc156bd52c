package authz

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/meshctl/meshctl/proxy/ir"
)

// Envoy's jwt_authn answers, which users search for.
const (
	msgVerificationFails = "Jwt verification fails"
	msgExpired           = "Jwt is expired"
	msgNotYetValid       = "Jwt not yet valid"
	msgAudience          = "Audiences in Jwt are not allowed"
	msgIssuer            = "Jwt issuer is not configured"
)

// clockSkew is Envoy's default allowance on exp and nbf.
const clockSkew = 60 * time.Second

// maxTokenSize bounds what is parsed: a header is bounded anyway, a query parameter less so.
const maxTokenSize = 16 << 10

// algorithms are the signatures a key set can verify (Envoy's asymmetric ones; Istio sends no
// shared secrets). "none" is never accepted.
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// JWT is a compiled jwt_authn filter.
type JWT struct {
	providers []jwtProvider
	// cache holds tokens verified lately, as Envoy's jwt_cache does: a signature check costs tens
	// of microseconds, and clients send the same token request after request. exp and nbf are
	// checked again at each use.
	mu    sync.Mutex
	cache map[cacheKey]*verified
}

type cacheKey struct {
	provider int
	raw      string
}

type verified struct {
	claims   map[string]any
	payload  string
	exp, nbf time.Time // zero: none
}

// cacheSize bounds the verified tokens kept per filter (Envoy's default is 100).
const cacheSize = 256

type jwtProvider struct {
	cfg  ir.JWTProvider
	keys []jose.JSONWebKey // public signing keys
}

// NewJWT compiles the filter: each provider's key set is read once. A key the proxy cannot use is
// skipped (as Envoy skips it); a set that is not JSON is refused.
func NewJWT(cfg *ir.JWTAuthn) (*JWT, error) {
	j := &JWT{}
	for _, p := range cfg.Providers {
		keys, err := parseJWKS(p.JWKS)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", p.Name, err)
		}
		j.providers = append(j.providers, jwtProvider{cfg: p, keys: keys})
	}
	j.cache = map[cacheKey]*verified{}
	return j, nil
}

func parseJWKS(s string) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal([]byte(s), &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	var out []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || k.Use == "enc" {
			continue
		}
		if !k.IsPublic() {
			k = k.Public()
		}
		if k.Key == nil {
			continue // a symmetric key: not for us
		}
		out = append(out, k)
	}
	return out, nil
}

// tokenAt is a token found in a request and where it was.
type tokenAt struct {
	raw    string
	header string // "" for a query parameter
}

func (p *jwtProvider) tokens(r *http.Request) []tokenAt {
	var out []tokenAt
	headers, params := p.cfg.FromHeaders, p.cfg.FromParams
	if len(headers) == 0 && len(params) == 0 {
		headers, params = []ir.JWTHeader{{Name: "Authorization", Prefix: "Bearer "}}, []string{"access_token"}
	}
	for _, h := range headers {
		for _, v := range r.Header[h.Name] {
			if t, ok := cutPrefixFold(v, h.Prefix); ok && t != "" {
				out = append(out, tokenAt{raw: strings.TrimSpace(t), header: h.Name})
			}
		}
	}
	if len(params) > 0 && r.URL.RawQuery != "" {
		q := r.URL.Query()
		for _, name := range params {
			for _, v := range q[name] {
				if v != "" {
					out = append(out, tokenAt{raw: v})
				}
			}
		}
	}
	return out
}

// cutPrefixFold: Envoy compares the value prefix ignoring case ("bearer " works too).
func cutPrefixFold(v, prefix string) (string, bool) {
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return "", false
	}
	return v[len(prefix):], true
}

// Authenticate finds the request's tokens and verifies each with its provider: the first that
// verifies is the request's credential (its token header removed unless forwarded, its payload in
// the provider's payload header). ok false: a token was there and none verified; msg is Envoy's
// reason, for a 401. No token at all: nil, ok.
func (j *JWT) Authenticate(r *http.Request, now time.Time) (_ *Authn, msg string, ok bool) {
	found := false
	msg = msgIssuer
	for i := range j.providers {
		p := &j.providers[i]
		for _, t := range p.tokens(r) {
			found = true
			claims, payload, err := j.verifyCached(i, t.raw, now)
			if err != nil {
				if err != errOtherIssuer || msg == msgIssuer {
					msg = err.Error()
				}
				continue
			}
			if !p.cfg.Forward && t.header != "" {
				r.Header.Del(t.header)
			}
			if p.cfg.PayloadHeader != "" {
				r.Header.Set(p.cfg.PayloadHeader, payload)
			}
			return authnOf(claims), "", true
		}
	}
	if found {
		return nil, msg, false
	}
	return nil, "", true
}

// verifyCached is verify, remembering the tokens that verified; a remembered token's time claims
// are checked again against now.
func (j *JWT) verifyCached(i int, raw string, now time.Time) (map[string]any, string, error) {
	k := cacheKey{i, raw}
	j.mu.Lock()
	v := j.cache[k]
	j.mu.Unlock()
	if v == nil {
		claims, payload, err := j.providers[i].verify(raw, now)
		if err != nil {
			return nil, "", err
		}
		v = &verified{claims: claims, payload: payload}
		v.exp, _ = numericDate(claims["exp"])
		v.nbf, _ = numericDate(claims["nbf"])
		j.mu.Lock()
		if len(j.cache) >= cacheSize {
			for old := range j.cache { // any one: the map's order is random enough
				delete(j.cache, old)
				break
			}
		}
		j.cache[k] = v
		j.mu.Unlock()
		return v.claims, v.payload, nil
	}
	if !v.exp.IsZero() && now.After(v.exp.Add(clockSkew)) {
		return nil, "", denial(msgExpired)
	}
	if !v.nbf.IsZero() && now.Add(clockSkew).Before(v.nbf) {
		return nil, "", denial(msgNotYetValid)
	}
	return v.claims, v.payload, nil
}

// denial is a verification failure whose text is Envoy's answer to the client.
type denial string

func (d denial) Error() string { return string(d) }

const errOtherIssuer = denial(msgIssuer)

// verify checks one token against the provider: form, issuer, signature (a key of the set: the one
// its kid names, else any), exp, nbf and audiences. It returns the claims and the payload segment.
func (p *jwtProvider) verify(raw string, now time.Time) (map[string]any, string, error) {
	const fail = denial(msgVerificationFails)
	if len(raw) > maxTokenSize || strings.Count(raw, ".") != 2 {
		return nil, "", fail
	}
	payloadSeg := raw[strings.IndexByte(raw, '.')+1 : strings.LastIndexByte(raw, '.')]
	// The issuer first, unverified, only to pick the provider: Envoy answers "issuer is not
	// configured" for a token no provider expects.
	unverified, err := decodeClaims(payloadSeg)
	if err != nil {
		return nil, "", fail
	}
	if iss, _ := unverified["iss"].(string); iss != p.cfg.Issuer {
		return nil, "", errOtherIssuer
	}
	jws, err := jose.ParseSignedCompact(raw, algorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, "", fail
	}
	kid := jws.Signatures[0].Header.KeyID
	var payload []byte
	for _, k := range p.keys {
		if kid != "" && k.KeyID != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != jws.Signatures[0].Header.Algorithm {
			continue
		}
		if b, err := jws.Verify(k.Key); err == nil {
			payload = b
			break
		}
	}
	if payload == nil {
		return nil, "", fail
	}
	claims := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&claims); err != nil {
		return nil, "", fail
	}
	if exp, ok := numericDate(claims["exp"]); ok && now.After(exp.Add(clockSkew)) {
		return nil, "", denial(msgExpired)
	} else if _, present := claims["exp"]; present && !ok {
		return nil, "", fail
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && now.Add(clockSkew).Before(nbf) {
		return nil, "", denial(msgNotYetValid)
	}
	if len(p.cfg.Audiences) > 0 && !audienceAllowed(audiences(claims["aud"]), p.cfg.Audiences) {
		return nil, "", denial(msgAudience)
	}
	return claims, payloadSeg, nil
}

func decodeClaims(seg string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func numericDate(v any) (time.Time, bool) {
	f, ok := v.(float64)
	if !ok {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}

// audiences is the aud claim: a string or a list of strings.
func audiences(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func audienceAllowed(have, allowed []string) bool {
	for _, h := range have {
		for _, a := range allowed {
			if h == a {
				return true
			}
		}
	}
	return false
}

func authnOf(claims map[string]any) *Authn {
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	azp, _ := claims["azp"].(string)
	return &Authn{Principal: iss + "/" + sub, Audiences: audiences(claims["aud"]), Presenter: azp, Claims: claims}
}
