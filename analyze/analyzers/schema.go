package analyzers

import (
	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi/validation"
)

// schemaAnalyzer reports what meshapi/validation finds in every Istio resource: the decoder's problems
// (unknown fields, wrong types, bad enum values, fields that exclude each other) and the API's semantic
// rules, as Istio documents them (hosts, ports, durations, weights, regexes, label maps). The rules are
// the ones meshd's validating webhook applies; this analyzer only maps them to codes.
type schemaAnalyzer struct{}

func (schemaAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "schema",
		Description: "Validates Istio resources against their API: types, unknown fields, enums, and the semantic rules of each field",
		Codes:       []string{"IST0106", "IST0133", "IST0122", "IST0002"},
		Inputs:      istioKinds,
	}
}

var istioKinds = func() []analyze.GroupKind {
	var out []analyze.GroupKind
	for _, k := range validation.Kinds() {
		out = append(out, k.GroupKind)
	}
	return out
}()

func (schemaAnalyzer) Analyze(c *analyze.Context) {
	for _, gk := range istioKinds {
		for _, o := range c.Store.List(gk) {
			reportFieldErrors(c, o, o.SpecErrors)
			if o.Spec == nil || len(o.SpecErrors) > 0 {
				continue // semantic rules on a half-decoded spec would only repeat the errors
			}
			reportFieldErrors(c, o, validation.Validate(o.Spec, "spec"))
		}
	}
}

// reportFieldErrors maps problems to codes: an invalid regex is IST0122, a deprecated field IST0002, any
// other warning IST0133, any other error IST0106.
func reportFieldErrors(c *analyze.Context, o *analyze.Object, errs validation.FieldErrors) {
	for _, e := range errs {
		switch {
		case e.Rule == validation.RuleDeprecated:
			c.Report("IST0002", o, e.Field, "Deprecated: %s", e)
		case e.Rule == validation.RuleRegex:
			c.Report("IST0122", o, e.Field, "Field %q %s", e.Field, e.Message)
		case e.Severity == validation.Warning:
			c.Report("IST0133", o, e.Field, "Schema validation warning: %s", e)
		default:
			c.Report("IST0106", o, e.Field, "Schema validation error: %s", e)
		}
	}
}
