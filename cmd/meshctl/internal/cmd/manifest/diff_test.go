package manifest

import (
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// TestDiffFlags checks what the command decides itself; the exit codes of whole runs (cobra's argument
// errors become 64 in the root command, no cluster is 2) are in package root's TestExitCodes.
func TestDiffFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-o", "table"}, false},
		{[]string{"-o", "json", "--set", "profile=demo", "--revision", "canary"}, true},
		{[]string{}, true},
		{[]string{"extra"}, false},
	} {
		var got *DiffOptions
		cmd := NewDiffCmd(factory.New(genericiooptions.NewTestIOStreamsDiscard()), func(o *DiffOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if tc.ok != (err == nil) || tc.ok != (got != nil) {
			t.Errorf("%v: error %v, Run reached: %v; want success %v", tc.args, err, got != nil, tc.ok)
		}
		if len(tc.args) == 2 && tc.args[1] == "table" && exitcode.For(err) != exitcode.Usage {
			t.Errorf("-o table: exit %d, want %d", exitcode.For(err), exitcode.Usage)
		}
	}
}
