// Package h1wire holds HTTP/1.1's field grammar (RFC 9110 5.1 and 5.5) for the proxy's two
// hand-written parsers: the downstream request head (proxy/listener) and the upstream response head
// (proxy/cluster). Both must refuse exactly what net/http refuses, so they share one definition.
package h1wire

// ValidName reports whether s is a field name (or a method): token characters only, not empty.
func ValidName[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

// ValidText reports whether s is valid field text: visible characters, space, tab and obs-text; no
// control characters.
func ValidText[T ~string | ~[]byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
