package confirm

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

func TestAsk(t *testing.T) {
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, " yes \n": true, "n\n": false, "\n": false, "": false, "yep\n": false} {
		var out bytes.Buffer
		got, err := Ask(strings.NewReader(answer), &out, "Proceed?")
		if err != nil || got != want {
			t.Errorf("answer %q: %v %v, want %v", answer, got, err, want)
		}
		if out.String() != "Proceed? (y/N) " {
			t.Errorf("prompt %q", out.String())
		}
	}
}

func TestProceedNeverPromptsWithoutTerminal(t *testing.T) {
	streams, in, _, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString("y\n")
	f := factory.New(streams)
	err := Proceed(f, false, "Proceed?")
	if exitcode.For(err) != exitcode.Usage || !strings.Contains(err.Error(), "-y") {
		t.Fatalf("without a terminal: %v (exit %d), want a usage error naming -y", err, exitcode.For(err))
	}
	if errOut.Len() != 0 {
		t.Errorf("prompted anyway: %q", errOut.String())
	}
	if err := Proceed(f, true, "Proceed?"); err != nil {
		t.Errorf("with -y: %v", err)
	}
}
