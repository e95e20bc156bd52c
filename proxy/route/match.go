package route

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/meshctl/meshctl/proxy/ir"
)

// matches reports whether the route's conditions hold for the request (path already normalized).
func matches(m *ir.RouteMatch, r *http.Request, path string) bool {
	switch m.PathKind {
	case ir.PathPrefix:
		if m.CaseInsensitive {
			if len(path) < len(m.Path) || !strings.EqualFold(path[:len(m.Path)], m.Path) {
				return false
			}
		} else if !strings.HasPrefix(path, m.Path) {
			return false
		}
	case ir.PathExact:
		if m.CaseInsensitive {
			if !strings.EqualFold(path, m.Path) {
				return false
			}
		} else if path != m.Path {
			return false
		}
	case ir.PathRegex:
		if !m.PathRegex.MatchString(path) {
			return false
		}
	}
	for i := range m.Headers {
		if !headerMatches(&m.Headers[i], r) {
			return false
		}
	}
	for i := range m.Query {
		if !queryMatches(&m.Query[i], r.URL.RawQuery) {
			return false
		}
	}
	return true
}

func headerMatches(h *ir.HeaderMatch, r *http.Request) bool {
	value, present := headerValue(r, h.Name)
	var ok bool
	switch {
	case !present:
		ok = false
	case h.Present:
		ok = true
	default:
		ok = stringMatches(&h.Value, value)
	}
	return ok != h.Invert
}

// headerValue reads a header or pseudo-header; several values of a header are joined with ",", as
// Envoy matches them.
func headerValue(r *http.Request, name string) (string, bool) {
	switch name {
	case ":method":
		return r.Method, true
	case ":authority", "host":
		return r.Host, true
	case ":scheme":
		if r.TLS != nil {
			return "https", true
		}
		return "http", true
	case ":path":
		return r.URL.RequestURI(), true
	}
	vs, ok := r.Header[name] // canonical since compile
	if !ok {
		return "", false
	}
	if len(vs) == 1 {
		return vs[0], true
	}
	return strings.Join(vs, ","), true
}

func stringMatches(m *ir.StringMatch, v string) bool { return m.Matches(v) }

func queryMatches(q *ir.QueryMatch, raw string) bool {
	v, ok := queryValue(raw, q.Name)
	if !ok {
		return false
	}
	if q.Present {
		return true
	}
	return stringMatches(&q.Value, v)
}

// queryValue finds a parameter's first value without parsing the whole query into a map.
func queryValue(raw, name string) (string, bool) {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != name {
			if uk, err := url.QueryUnescape(k); err != nil || uk != name {
				continue
			}
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			return uv, true
		}
		return v, true
	}
	return "", false
}

// MatchHeader and MatchString are the route matchers, for the filters that match requests as
// routes do (RBAC). Header names are canonical, pseudo-headers as they are.
func MatchHeader(h *ir.HeaderMatch, r *http.Request) bool { return headerMatches(h, r) }

// MatchString compares a value as a route's string matcher does.
func MatchString(m *ir.StringMatch, v string) bool { return stringMatches(m, v) }
