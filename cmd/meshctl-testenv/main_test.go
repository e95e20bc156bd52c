package main

import (
	"os/exec"
	"testing"
)

func TestExportLineSurvivesTheShell(t *testing.T) {
	for _, path := range []string{
		"/home/dev/.cache/meshctl-testenv/run/default/kubeconfig",
		"/tmp/with space/kubeconfig",
		"/tmp/it's/$HOME/`x`/kubeconfig",
	} {
		out, err := exec.Command("sh", "-c", exportLine(path)+` && printf %s "$KUBECONFIG"`).Output()
		if err != nil {
			t.Fatalf("%s: %v", exportLine(path), err)
		}
		if string(out) != path {
			t.Errorf("eval of %s set KUBECONFIG=%q, want %q", exportLine(path), out, path)
		}
	}
	if got := exportLine("/a/b/kubeconfig"); got != "export KUBECONFIG=/a/b/kubeconfig" {
		t.Errorf("a plain path is quoted needlessly: %s", got)
	}
}
