package h1wire

import (
	"testing"

	"golang.org/x/net/http/httpguts"
)

// The grammar is net/http's: every byte is judged as httpguts judges it, as a name and as text.
func TestGrammarIsNetHTTPs(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{'a', byte(c), 'b'})
		if got, want := ValidName(s), httpguts.ValidHeaderFieldName(s); got != want {
			t.Errorf("ValidName(%q) = %v, net/http says %v", s, got, want)
		}
		if got, want := ValidText([]byte(s)), httpguts.ValidHeaderFieldValue(s); got != want {
			t.Errorf("ValidText(%q) = %v, net/http says %v", s, got, want)
		}
	}
	for _, s := range []string{"", "GET", "X-Custom_1", "a b", "a:b"} {
		if got, want := ValidName([]byte(s)), httpguts.ValidHeaderFieldName(s); got != want {
			t.Errorf("ValidName(%q) = %v, net/http says %v", s, got, want)
		}
	}
}
