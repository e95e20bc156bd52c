package sampleapps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Process is what an application gets from the program that runs it; tests hand in their own.
type Process struct {
	Args   []string // the arguments after the application's name
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer // data, and the servers' structured logs
	Stderr io.Writer // the command-line tools' messages
	// Version is the project's version, for the tools' --version and the client's User-Agent.
	Version string
}

// Env returns the value of the environment variable key, or def when it is unset or empty.
func (p Process) Env(key, def string) string {
	if p.Getenv != nil {
		if v := p.Getenv(key); v != "" {
			return v
		}
	}
	return def
}

// Hostname is the pod's name: HOSTNAME, which the container runtime sets, else the kernel's hostname.
func (p Process) Hostname() string {
	if h := p.Env("HOSTNAME", ""); h != "" {
		return h
	}
	h, _ := os.Hostname()
	return h
}

// Main is the entry point of one application. It returns when the work is done or ctx is cancelled
// (SIGTERM): nil for success, an *ExitError to choose the exit code, any other error for exit code 1.
type Main func(ctx context.Context, p Process) error

// ExitError asks for a particular exit code. Err, when set, is printed on stderr by the runner; the
// tools that print their own messages (curl) leave it nil.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError is the exit code of a command line that does not parse, as the flag package's programs use.
const UsageError = 2

// Usage wraps err as a command-line error (exit code 2).
func Usage(err error) error { return &ExitError{Code: UsageError, Err: err} }

// ExitCode is the process exit code for the error a Main returned.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := errors.AsType[*ExitError](err); ok {
		return e.Code
	}
	return 1
}
