// Package exitcode maps errors to meshctl's exit codes (docs/exit-codes.md).
package exitcode

import (
	"context"
	"errors"
)

// The exit-code table. Keep docs/exit-codes.md in step with it.
const (
	OK          = 0
	Error       = 1
	Usage       = 64
	BadInput    = 65
	Interrupted = 130
	// IssuesFound means the command ran and its findings (analyze, precheck, profile diff) say "not clean".
	IssuesFound = 79
	// Differs is diff(1)'s "inputs differ", used by `profile diff`, `manifest diff` and
	// `install --dry-run --diff`.
	Differs = 1
	// DiffTrouble is diff(1)'s "trouble": those commands exit 2, not 1, when they could not compare (the
	// cluster is unreachable, say), so that 1 always means "different".
	DiffTrouble = 2
)

// CodedError carries an explicit exit code; commands return it when the outcome, not a failure, decides the code.
type CodedError struct {
	Code int
	Err  error // may be nil: the command already printed what the user needs
}

func (e *CodedError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *CodedError) Unwrap() error { return e.Err }

// WithCode returns an error that exits with code; err may be nil to exit silently.
func WithCode(code int, err error) error { return &CodedError{Code: code, Err: err} }

// UsageError marks a wrong invocation: a bad flag value, a missing argument.
func UsageError(err error) error { return &CodedError{Code: Usage, Err: err} }

// ForDiff returns err as the diff commands exit with it: an explicit code (Differs), usage errors (64),
// bad input (65) and interruptions (130) keep their codes; every other failure exits DiffTrouble instead
// of Error.
func ForDiff(err error) error {
	var coded *CodedError
	if err == nil || errors.As(err, &coded) || For(err) != Error {
		return err
	}
	return &CodedError{Code: DiffTrouble, Err: err}
}

// invalidInput is implemented by the library packages' error types for bad user data
// (a YAML file that does not parse, an unknown IstioOperator field), so that they need not import this package.
type invalidInput interface{ InvalidInput() bool }

// For returns the exit code for err.
func For(err error) int {
	if err == nil {
		return OK
	}
	var coded *CodedError
	if errors.As(err, &coded) {
		return coded.Code
	}
	var bad invalidInput
	if errors.As(err, &bad) && bad.InvalidInput() {
		return BadInput
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return Error
}
