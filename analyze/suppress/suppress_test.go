package suppress

import (
	"bytes"
	"testing"

	"github.com/meshctl/meshctl/analyze"
)

func f(code, kind, name, ns string) analyze.Finding {
	c := analyze.MustCode(code)
	return analyze.Finding{Code: c.ID, Level: c.Level, Resource: analyze.Resource{Kind: kind, Name: name, Namespace: ns}, Message: "m"}
}

func TestRules(t *testing.T) {
	cases := []struct {
		rule string
		f    analyze.Finding
		want bool
	}{
		{"IST0102=Namespace frod", f("IST0102", "Namespace", "frod", ""), true},
		{"IST0102=Namespace frod", f("IST0102", "Namespace", "other", ""), false},
		{"ist0107=Pod *.default", f("IST0107", "Pod", "p-1", "default"), true},
		{"IST0107=Pod *.default", f("IST0107", "Pod", "p-1", "prod"), false},
		{"*=VirtualService reviews.*", f("IST0101", "VirtualService", "reviews", "x"), true},
		{"IST0101=*", f("IST0106", "VirtualService", "reviews", "x"), false},
	}
	for _, tc := range cases {
		r, err := ParseRule(tc.rule)
		if err != nil {
			t.Fatalf("%s: %v", tc.rule, err)
		}
		if got := r.Matches(tc.f); got != tc.want {
			t.Errorf("%s matches %s = %v, want %v", tc.rule, tc.f.Resource, got, tc.want)
		}
	}
	for _, bad := range []string{"IST0102", "=Namespace x", "IST9999=Namespace x", "IST0102=[", ""} {
		if _, err := ParseRule(bad); err == nil {
			t.Errorf("ParseRule(%q) accepted", bad)
		}
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	old := []analyze.Finding{f("IST0102", "Namespace", "frod", ""), f("IST0101", "VirtualService", "a", "x")}
	var buf bytes.Buffer
	if err := New(old).Write(&buf); err != nil {
		t.Fatal(err)
	}
	b, err := Read(&buf, "b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fresh, known := b.Filter(append(old, f("IST0101", "VirtualService", "b", "x")))
	if known != 2 || len(fresh) != 1 || fresh[0].Resource.Name != "b" {
		t.Fatalf("known %d, fresh %v", known, fresh)
	}
	if _, err := Read(bytes.NewBufferString("version: 1\nfindings: [{bogus: 1}]\n"), "x"); err == nil {
		t.Fatal("unknown fields in a baseline must be rejected")
	}
}
