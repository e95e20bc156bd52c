package route

import (
	"strings"
)

// hosts finds the virtual host of an authority: exact domain, then the longest "*.suffix" (and
// "prefix.*") wildcard, then "*".
type hosts struct {
	exact    map[string]*vhost
	suffixes []wildcard // longest first
	prefixes []wildcard // longest first
	any      *vhost
}

type wildcard struct {
	part string // ".example.com" for "*.example.com", "example." for "example.*"
	vh   *vhost
}

func (h *hosts) find(authority string) *vhost {
	name := stripPort(authority)
	name = lowerASCII(name)
	if vh := h.exact[name]; vh != nil {
		return vh
	}
	for _, w := range h.suffixes {
		if len(name) > len(w.part) && strings.HasSuffix(name, w.part) {
			return w.vh
		}
	}
	for _, w := range h.prefixes {
		if len(name) > len(w.part) && strings.HasPrefix(name, w.part) {
			return w.vh
		}
	}
	return h.any
}

// stripPort drops ":port" from an authority, minding IPv6 literals ("[::1]:80" → "[::1]").
func stripPort(a string) string {
	i := strings.LastIndexByte(a, ':')
	if i < 0 || strings.LastIndexByte(a, ']') > i {
		return a
	}
	if strings.Count(a, ":") > 1 && !strings.HasPrefix(a, "[") {
		return a // a bare IPv6 address, no port
	}
	return a[:i]
}

// lowerASCII lowercases without allocating when there is nothing to lower.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
