package multicall

import (
	"bytes"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/sampleapps"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		app  string
		args []string
	}{
		{[]string{"/mesh-samples", "reviews", "-port", "1"}, "reviews", []string{"-port", "1"}},
		{[]string{"/usr/bin/curl", "-sS", "http://x"}, "curl", []string{"-sS", "http://x"}},
		{[]string{"curl"}, "curl", []string{}},
		{[]string{"/bin/sleep", "infinity"}, "sleep", []string{"infinity"}},
		{[]string{"go-httpbin", "-port", "8080"}, "httpbin", []string{"-port", "8080"}},
		{[]string{"./mesh-samples", "static"}, "static", []string{}},
	} {
		app, args, err := Resolve(tc.argv)
		if err != nil || app.Name != tc.app || strings.Join(args, " ") != strings.Join(tc.args, " ") {
			t.Errorf("Resolve(%q) = %s %q %v, want %s %q", tc.argv, app.Name, args, err, tc.app, tc.args)
		}
	}
	for _, argv := range [][]string{{"/mesh-samples"}, {"/mesh-samples", "fortio"}, nil} {
		if _, _, err := Resolve(argv); err == nil {
			t.Errorf("Resolve(%q): no error", argv)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	run := func(argv ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(t.Context(), sampleapps.Process{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, argv)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("mesh-samples", "--help"); code != 0 || !strings.Contains(out, "productpage") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, _, errs := run("mesh-samples", "nope"); code != 2 || !strings.Contains(errs, `unknown application "nope"`) {
		t.Errorf("unknown app: %d %q", code, errs)
	}
	// curl prints its own message; the runner adds nothing.
	if code, _, errs := run("curl", "--nope"); code != 2 || errs != "curl: option --nope: is unknown\ncurl: try 'curl --help' for more information\n" {
		t.Errorf("curl --nope: %d %q", code, errs)
	}
	if code, _, errs := run("sleep", "soon"); code != 1 || !strings.Contains(errs, `invalid time interval "soon"`) {
		t.Errorf("sleep soon: %d %q", code, errs)
	}
	if code, _, errs := run("mesh-samples", "details", "-bogus"); code != 2 || !strings.Contains(errs, "flag provided but not defined: -bogus") {
		t.Errorf("details -bogus: %d %q", code, errs)
	}
}
