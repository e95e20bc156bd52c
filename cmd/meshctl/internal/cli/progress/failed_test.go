package progress

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/golden"
)

// failedRun is the end of an install that applied 43 objects and failed while pruning: the events the
// installer sends (installer/report_test.go checks it sends these facts).
func failedRun() []installer.Event {
	at := time.Date(2026, 12, 5, 23, 0, 0, 0, time.UTC)
	report := &installer.Report{
		PhasesDone:  []string{"preflight", "CRDs", "namespaces", "RBAC", "config", "webhooks", "workloads"},
		FailedPhase: "prune",
		Applied:     43, Changed: 43,
		Reason: "find objects to prune: list destinationrules.networking.istio.io: Internal error occurred: error resolving resource",
		Next:   "Re-running the same meshctl install command is safe: it converges on what an uninterrupted run gives.",
	}
	return []installer.Event{
		{Time: at, Type: installer.EventPhase, Operation: "install", Phase: "workloads", Message: "Applying workloads (12)"},
		{Time: at, Type: installer.EventObject, Operation: "install", Object: "Deployment/istio-system/istiod", Action: "created", Message: "created Deployment/istio-system/istiod"},
		{Time: at, Type: installer.EventPhase, Operation: "install", Phase: "prune", Message: "Removing objects the configuration no longer has"},
		{Time: at, Type: installer.EventFailed, Operation: "install", Message: "Installation failed in phase prune: " + report.Reason, Report: report},
	}
}

// The failure report in the three renderings: plain lines, the spinner's lines, the JSON stream.
func TestFailedReportGolden(t *testing.T) {
	for _, mode := range []string{Log, JSON} {
		streams, _, _, errOut := genericiooptions.NewTestIOStreams()
		sink, stop := New(factory.New(streams), mode)
		for _, e := range failedRun() {
			sink.Event(e)
		}
		stop()
		golden.Check(t, filepath.Join("testdata", "failed."+mode+".golden"), errOut.Bytes())
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	s := withoutFailed(newSpinner(f, false))
	for _, e := range failedRun() {
		s.Event(e)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "failed.spinner.golden"), b)
}

// A failure before anything was written is left to the command's Error line for people.
func TestFailedBeforeWritesQuiet(t *testing.T) {
	streams, _, _, errOut := genericiooptions.NewTestIOStreams()
	sink, stop := New(factory.New(streams), Log)
	sink.Event(installer.Event{Type: installer.EventFailed, Message: "Installation failed in phase preflight: forbidden",
		Report: &installer.Report{PhasesDone: []string{}, FailedPhase: "preflight", Next: "Nothing was changed."}})
	stop()
	if errOut.Len() != 0 {
		t.Errorf("log before writes: %q", errOut)
	}
}
