package authz

import (
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/route"
)

// Authn is a verified token's attributes, as Istio names them (request.auth.*).
type Authn struct {
	Principal string // iss/sub
	Audiences []string
	Presenter string         // azp
	Claims    map[string]any // the payload
}

// The metadata keys RBAC's metadata matchers read (Istio's istio_authn).
const (
	keyPrincipal = "request.auth.principal"
	keyAudiences = "request.auth.audiences"
	keyPresenter = "request.auth.presenter"
	keyClaims    = "request.auth.claims"
)

// lookup is the value at a metadata path: a string, a list, or a claim's JSON value.
func (a *Authn) lookup(path []string) (any, bool) {
	switch path[0] {
	case keyPrincipal:
		return a.Principal, len(path) == 1
	case keyPresenter:
		return a.Presenter, len(path) == 1 && a.Presenter != ""
	case keyAudiences:
		l := make([]any, len(a.Audiences))
		for i, v := range a.Audiences {
			l[i] = v
		}
		return l, len(path) == 1
	case keyClaims:
		var v any = a.Claims
		for _, k := range path[1:] {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		}
		return v, len(path) > 1
	}
	return nil, false
}

// matches: the value at the path is a string that matches, or a list one of whose strings does
// (a string claim counts as a list of itself, as Istio's claims matching).
func (a *Authn) matches(m *ir.MetadataMatch) bool {
	v, ok := a.lookup(m.Path)
	if !ok {
		return false
	}
	switch v := v.(type) {
	case string:
		return route.MatchString(&m.Value, v)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && route.MatchString(&m.Value, s) {
				return true
			}
		}
	}
	return false
}
