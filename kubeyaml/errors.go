package kubeyaml

import (
	"fmt"
	"strconv"
)

// Error is bad user input at a position: "demo.yaml:12: spec.components: unknown field".
// It implements InvalidInput so that commands exit with the bad-input code.
type Error struct {
	Source string // file path or "-"
	Line   int    // 1-based; 0 when unknown
	Field  string // dotted path of the field, if one is to blame
	Err    error
}

func (e *Error) Error() string {
	s := position(e.Source, e.Line)
	if e.Field != "" {
		s += ": " + e.Field
	}
	if s == "" {
		return e.Err.Error()
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// InvalidInput marks the error as the user's data being wrong (exit code 65).
func (e *Error) InvalidInput() bool { return true }

// Errorf returns an *Error at source:line for field.
func Errorf(source string, line int, field, format string, args ...any) *Error {
	return &Error{Source: source, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
}

func position(source string, line int) string {
	switch {
	case source == "" && line == 0:
		return ""
	case line == 0:
		return source
	case source == "":
		return "line " + strconv.Itoa(line)
	}
	return source + ":" + strconv.Itoa(line)
}
