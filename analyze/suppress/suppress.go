// Package suppress drops accepted findings: --suppress rules ("IST0102=Namespace frod", wildcards in the
// resource) and baseline files that record the findings a project has accepted, so that CI fails only on
// new ones. The galley.istio.io/analyze-suppress annotation is honoured by analyze itself, which sees the
// objects.
package suppress

import (
	"fmt"
	"path"
	"strings"

	"github.com/meshctl/meshctl/analyze"
)

// Rule suppresses one code (or "*") for resources matching a pattern.
type Rule struct {
	Code     string
	Resource string // "Kind name.namespace"; * and ? match any characters
}

// ParseRule reads CODE=RESOURCE, as istioctl's --suppress takes it.
func ParseRule(s string) (Rule, error) {
	code, res, ok := strings.Cut(s, "=")
	code, res = strings.TrimSpace(code), strings.TrimSpace(res)
	if !ok || code == "" || res == "" {
		return Rule{}, fmt.Errorf("suppression %q: want CODE=RESOURCE, e.g. \"IST0102=Namespace frod\" or \"IST0107=Pod *.default\"", s)
	}
	if code != "*" {
		c, known := analyze.LookupCode(code)
		if !known {
			return Rule{}, fmt.Errorf("suppression %q: unknown code %q", s, code)
		}
		code = c.ID
	}
	if _, err := path.Match(res, ""); err != nil {
		return Rule{}, fmt.Errorf("suppression %q: bad pattern: %w", s, err)
	}
	return Rule{Code: code, Resource: res}, nil
}

// Matches reports whether the rule suppresses f.
func (r Rule) Matches(f analyze.Finding) bool {
	if r.Code != "*" && r.Code != f.Code {
		return false
	}
	ok, _ := path.Match(r.Resource, f.Resource.String())
	return ok
}

// Apply returns the findings no rule suppresses.
func Apply(rules []Rule, findings []analyze.Finding) []analyze.Finding {
	if len(rules) == 0 {
		return findings
	}
	out := findings[:0:0]
	for _, f := range findings {
		suppressed := false
		for _, r := range rules {
			if r.Matches(f) {
				suppressed = true
				break
			}
		}
		if !suppressed {
			out = append(out, f)
		}
	}
	return out
}

// Threshold returns the findings at or above a level.
func Threshold(findings []analyze.Finding, min analyze.Level) []analyze.Finding {
	out := findings[:0:0]
	for _, f := range findings {
		if f.Level >= min {
			out = append(out, f)
		}
	}
	return out
}
