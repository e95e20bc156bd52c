package sampleapps

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&ExitError{Code: 22}, 22},
		{fmt.Errorf("wrapped: %w", &ExitError{Code: 7}), 7},
		{Usage(errors.New("bad flag")), 2},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestEnv(t *testing.T) {
	p := Process{Getenv: func(k string) string { return map[string]string{"A": "a", "E": ""}[k] }}
	if got := p.Env("A", "d"); got != "a" {
		t.Errorf("Env(A) = %q", got)
	}
	if got := p.Env("E", "d"); got != "d" {
		t.Errorf("Env(E) = %q, want the default for an empty variable", got)
	}
	if got := (Process{}).Env("A", "d"); got != "d" {
		t.Errorf("Env without Getenv = %q", got)
	}
	if got := (Process{Getenv: func(string) string { return "pod-1" }}).Hostname(); got != "pod-1" {
		t.Errorf("Hostname = %q, want HOSTNAME", got)
	}
}
