package progress

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/installer"
)

var events = []installer.Event{
	{Type: installer.EventPhase, Phase: "CRDs", Message: "Applying CRDs (15)"},
	{Type: installer.EventWaiting, Component: "Istiod", Waiting: []string{"Deployment/istio-system/istiod"}, Message: "Waiting for Deployment/istio-system/istiod"},
	{Type: installer.EventComponentDone, Component: "Istiod", Message: "Istiod installed"},
	{Type: installer.EventWarning, Message: "careful"},
	{Type: installer.EventFailed, Message: "Installation failed: boom"},
}

func TestLogInAPipe(t *testing.T) {
	streams, _, _, errOut := genericiooptions.NewTestIOStreams()
	sink, stop := New(factory.New(streams), Auto)
	for _, e := range events {
		sink.Event(e)
	}
	stop()
	// No spinner, no colour, and the failure is left to the command's "Error:" line.
	if got, want := errOut.String(), "✔ Istiod installed\n! careful\n"; got != want {
		t.Errorf("log:\n%q\nwant:\n%q", got, want)
	}
}

func TestJSONLines(t *testing.T) {
	streams, _, _, errOut := genericiooptions.NewTestIOStreams()
	sink, stop := New(factory.New(streams), JSON)
	for _, e := range events {
		sink.Event(e)
	}
	stop()
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != len(events) {
		t.Fatalf("%d lines for %d events:\n%s", len(lines), len(events), errOut)
	}
	for i, l := range lines {
		var e installer.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil || e.Type != events[i].Type || e.Message != events[i].Message {
			t.Errorf("line %d %q: %v", i, l, err)
		}
	}
}

// The spinner sink prints finished components as lines; on a file that is not a terminal the spinner
// itself never draws.
func TestSpinnerSinkLines(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	s := newSpinner(f, true)
	for _, e := range events {
		s.Event(e)
	}
	s.stop()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.Contains(got, "\x1b[32m✔\x1b[0m Istiod installed\n") || !strings.Contains(got, "\x1b[33m!\x1b[0m careful\n") || !strings.Contains(got, "\x1b[31m✘\x1b[0m Installation failed: boom\n") {
		t.Errorf("spinner output %q", got)
	}
}
