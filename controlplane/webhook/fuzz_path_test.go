package webhook

import (
	"strings"
	"testing"
)

// FuzzPathEnv: any request path gives variables with non-empty names and values, never a panic.
func FuzzPathEnv(f *testing.F) {
	for _, p := range []string{"/inject", "/inject/cluster/c1/net/n1", "/inject/:ENV:cluster=c2:ENV:net=", "/inject/a--slash--b/", "/inject//"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		for k, v := range PathEnv(path) {
			if k == "" || v == "" {
				t.Fatalf("PathEnv(%q) has %q=%q", path, k, v)
			}
			if !strings.HasPrefix(path, "/inject/") {
				t.Fatalf("PathEnv(%q) read variables from a path that is not /inject/...", path)
			}
		}
	})
}
