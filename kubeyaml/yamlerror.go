package kubeyaml

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// yaml.v3 reports a syntax error only as text, "yaml: line 3: did not find expected key": it has no error
// type carrying the line (its parser panics with fmt.Errorf and Unmarshal recovers the string). This is the
// one place that reads that text; TestYAMLv3SyntaxErrorFormat pins the format, so that an upgrade of yaml.v3
// that changes it fails a test instead of losing the line from users' errors.
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseError turns yaml.v3's "yaml: line 3: ..." into an *Error at the absolute line.
func (d *Document) parseError(err error) *Error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		rel, _ := strconv.Atoi(m[1])
		return &Error{Source: d.Source, Line: d.Line + rel - 1, Err: errors.New("invalid YAML: " + m[2])}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	return &Error{Source: d.Source, Line: d.Line, Err: fmt.Errorf("invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))}
}
