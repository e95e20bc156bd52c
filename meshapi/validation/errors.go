package validation

import "strings"

// Severity says whether a problem makes the configuration invalid (Error) or is advice (Warning).
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Rule names the rule a problem breaks, so that callers can tell problems apart without reading messages:
// analyze reports RuleRegex as IST0122.
type Rule string

const (
	// RuleSchema: the value does not decode into the API's message (unknown field, wrong type, unknown enum
	// value, two fields of a oneof, a version the API does not serve).
	RuleSchema     Rule = "schema"
	RuleRequired   Rule = "required"   // a required field or list is missing or empty
	RuleExclusive  Rule = "exclusive"  // fields that exclude each other are both set
	RuleHost       Rule = "host"       // a host name, with Istio's wildcards
	RuleName       Rule = "name"       // a namespace, gateway, subset or header name
	RulePort       Rule = "port"       // a port number
	RuleAddress    Rule = "address"    // an IP address, a CIDR range or an endpoint
	RuleDuration   Rule = "duration"   // a duration Istio requires to be at least 1ms
	RuleRange      Rule = "range"      // a number out of its range: percentages, status codes, counts
	RuleWeight     Rule = "weight"     // route weights
	RuleRegex      Rule = "regex"      // an RE2 regular expression
	RuleLabels     Rule = "labels"     // a label map (selectors, subset labels)
	RuleExportTo   Rule = "exportTo"   // an exportTo entry
	RuleUnique     Rule = "unique"     // a name, port or issuer given twice
	RuleValue      Rule = "value"      // a value outside the allowed set: protocol, condition key, URL
	RuleDeprecated Rule = "deprecated" // a deprecated field
)

// FieldError is one problem with one field. Field is the path of the field from the caller's document
// (spec.http[0].route[1].weight, defaultConfig.concurrency); Message does not repeat it.
type FieldError struct {
	Field    string
	Message  string
	Severity Severity
	Rule     Rule
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// FieldErrors are the problems found in one value, sorted by field.
type FieldErrors []FieldError

// Error joins the problems, one a line.
func (l FieldErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
		if e.Severity == Warning {
			msgs[i] = "warning: " + msgs[i]
		}
	}
	return strings.Join(msgs, "\n")
}

// HasErrors reports whether any problem is an Error rather than a Warning.
func (l FieldErrors) HasErrors() bool {
	for _, e := range l {
		if e.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns the problems as an error when at least one is an Error, and nil when there are only
// warnings or none: a FieldErrors held in an error variable is never nil, even when empty.
func (l FieldErrors) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return l
}

// Warnings returns the problems of Warning severity.
func (l FieldErrors) Warnings() FieldErrors {
	var out FieldErrors
	for _, e := range l {
		if e.Severity == Warning {
			out = append(out, e)
		}
	}
	return out
}
