package inject

import (
	"regexp"
	"strconv"
)

// text/template reports a parse error only as text, "template: NAME:LINE: message" (text/template/parse
// has no error type with the position; ExecError is for execution, and render wraps those unchanged).
// The line is the only way to point the user at the configuration's line, so it is read from that text,
// whose format has not changed since Go 1.0. Should it change, the error falls back to the template key's
// line with text/template's message as it is: nothing wrong is said, only less precisely.
var templateLineRE = regexp.MustCompile(`^template: [^:]*:(\d+):(\d+:)?\s*`)

// templateErrorLine maps a template error's line to the line of the configuration: a template written
// as a literal block starts on the line after its key.
func templateErrorLine(keyLine int, err error) int {
	if m := templateLineRE.FindStringSubmatch(err.Error()); m != nil {
		rel, _ := strconv.Atoi(m[1])
		return keyLine + rel
	}
	return keyLine
}

// templateMessage drops text/template's own position and turns the positions it mentions ("started at
// sidecar:2") into lines of the configuration.
func templateMessage(name string, keyLine int, err error) string {
	msg := templateLineRE.ReplaceAllString(err.Error(), "")
	ref := regexp.MustCompile(regexp.QuoteMeta(name) + `:(\d+)`)
	return ref.ReplaceAllStringFunc(msg, func(m string) string {
		rel, _ := strconv.Atoi(m[len(name)+1:])
		return "line " + strconv.Itoa(keyLine+rel)
	})
}
