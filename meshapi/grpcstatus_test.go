package meshapi

import "testing"

func TestGRPCStatusCode(t *testing.T) {
	cases := []struct {
		name string
		code uint32
		ok   bool
	}{
		{"OK", 0, true}, {"UNAVAILABLE", 14, true}, {"UNAUTHENTICATED", 16, true}, {"DEADLINE_EXCEEDED", 4, true},
		{"unavailable", 0, false}, {"14", 0, false}, {"", 0, false},
	}
	for _, c := range cases {
		if code, ok := GRPCStatusCode(c.name); code != c.code || ok != c.ok {
			t.Errorf("%q: %d %v, want %d %v", c.name, code, ok, c.code, c.ok)
		}
	}
}
