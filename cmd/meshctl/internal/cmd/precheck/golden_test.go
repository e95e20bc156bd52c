package precheck

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/installer/precheck"
	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/printer"
)

func sampleReport() Report {
	results := []precheck.Result{
		{Name: "kubernetes-version", Description: "Kubernetes version is supported", Status: precheck.Warning,
			Reason: "Kubernetes v1.38.0 is newer than 1.37, the newest release meshctl is tested on (supported: 1.33 to 1.37); it will probably work", Doc: precheck.DocBase + "kubernetes-version"},
		{Name: "permissions", Description: "Permissions for everything install creates", Status: precheck.OK,
			Reason: "the current user has all 64 permissions install needs", Doc: precheck.DocBase + "permissions"},
		{Name: "webhooks", Description: "No conflicting sidecar injector", Status: precheck.Error,
			Reason: "another sidecar injector would inject pods too: MutatingWebhookConfiguration/istio-sidecar-injector webhook namespace.sidecar-injector.istio.io; remove it before installing", Doc: precheck.DocBase + "webhooks"},
	}
	return Report{Checks: results, Summary: precheck.Summarize(results)}
}

func TestLogGolden(t *testing.T) {
	var buf bytes.Buffer
	writeLog(&buf, sampleReport(), false)
	golden.Check(t, filepath.Join("testdata", "log.txt"), buf.Bytes())
}

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := printer.Print(&buf, printer.JSON, sampleReport()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "report.json"), buf.Bytes())
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-o", "table"}, exitcode.Usage},
		{[]string{"-o", "json", "--set", "profile=demo", "--revision", "canary"}, exitcode.OK},
		{[]string{}, exitcode.OK},
	} {
		var got *Options
		cmd := NewCmd(factory.New(genericiooptions.NewTestIOStreamsDiscard()), func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if code := exitcode.For(err); code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
		}
		if tc.code == exitcode.OK && (got == nil || got.Output == "") {
			t.Errorf("%v: options %+v", tc.args, got)
		}
		if err != nil && !strings.Contains(err.Error(), "output format") {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}
