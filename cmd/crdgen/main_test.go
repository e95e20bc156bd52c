package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestRunWritesTheCommittedFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "crds.gen.yaml")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-o", out}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (stderr: %s)", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../manifests/charts/base/templates/crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("output differs from the chart's crds.gen.yaml; run `go generate ./manifests/crdgen`")
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing (no recursive type in Istio's specs)", stderr.String())
	}
}

func TestRunRejectsUnknownFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-x"}, &stdout, &stderr); err == nil {
		t.Error("run -x: want an error")
	}
}
