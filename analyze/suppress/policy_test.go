package suppress

import (
	"testing"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/kubeyaml"
)

func TestPolicy(t *testing.T) {
	errA := f("IST0101", "VirtualService", "a", "x") // Error
	errB := f("IST0101", "VirtualService", "b", "x") // Error
	warn := f("IST0108", "Pod", "p", "x")            // Warning
	info := f("IST0102", "Namespace", "x", "")       // Info
	all := []analyze.Finding{errA, errB, warn, info}
	none, err := analyze.ParseLevel("None")
	if err != nil {
		t.Fatal(err)
	}
	accepted := New([]analyze.Finding{errA})
	rule := func(s string) []Rule {
		r, err := ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		return []Rule{r}
	}
	for _, tc := range []struct {
		name     string
		policy   Policy
		input    []*kubeyaml.Error
		findings []analyze.Finding
		shown    int
		accepted int
		verdict  Verdict
	}{
		{"errors fail", Policy{OutputLevel: analyze.Info, FailureLevel: analyze.Error}, nil, all, 4, 0, IssuesFound},
		{"None never fails", Policy{OutputLevel: analyze.Info, FailureLevel: none}, nil, all, 4, 0, Clean},
		{"the output level hides but does not excuse", Policy{OutputLevel: analyze.Error, FailureLevel: analyze.Warning, Rules: rule("IST0101=*")},
			nil, []analyze.Finding{warn, info}, 0, 0, IssuesFound},
		{"suppressed errors do not fail", Policy{OutputLevel: analyze.Info, FailureLevel: analyze.Error, Rules: rule("IST0101=VirtualService *.x")},
			nil, []analyze.Finding{warn, info}, 2, 0, Clean},
		{"the baseline drops what it accepted", Policy{OutputLevel: analyze.Info, FailureLevel: analyze.Error, Baseline: accepted},
			nil, []analyze.Finding{errB, warn, info}, 3, 1, IssuesFound},
		{"rules before the baseline", Policy{OutputLevel: analyze.Info, FailureLevel: analyze.Error, Baseline: accepted, Rules: rule("IST0101=VirtualService b.x")},
			nil, []analyze.Finding{warn, info}, 2, 1, Clean},
		{"recording a baseline never fails", Policy{OutputLevel: analyze.Info, FailureLevel: analyze.Error, Recording: true}, nil, all, 4, 0, Clean},
		{"bad input wins", Policy{OutputLevel: analyze.Info, FailureLevel: analyze.Error, Recording: true},
			[]*kubeyaml.Error{{Source: "bad.yaml"}}, all, 4, 0, IncompleteInput},
	} {
		out := tc.policy.Apply(&analyze.Result{Findings: all, InputErrors: tc.input})
		if len(out.Findings) != len(tc.findings) || len(out.Shown) != tc.shown || out.Accepted != tc.accepted || out.Verdict != tc.verdict {
			t.Errorf("%s: %d findings, %d shown, %d accepted, verdict %d; want %d, %d, %d, %d",
				tc.name, len(out.Findings), len(out.Shown), out.Accepted, out.Verdict, len(tc.findings), tc.shown, tc.accepted, tc.verdict)
			continue
		}
		for i := range tc.findings {
			if out.Findings[i].Resource != tc.findings[i].Resource || out.Findings[i].Code != tc.findings[i].Code {
				t.Errorf("%s: finding %d is %s %s, want %s %s", tc.name, i, out.Findings[i].Code, out.Findings[i].Resource, tc.findings[i].Code, tc.findings[i].Resource)
			}
		}
	}
}
