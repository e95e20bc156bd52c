package manifest

import (
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

func TestDiffFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"-o", "table"}, exitcode.Usage},
		{[]string{"-o", "json", "--set", "profile=demo", "--revision", "canary"}, exitcode.OK},
		{[]string{}, exitcode.OK},
		{[]string{"extra"}, exitcode.Usage},
	} {
		var got *DiffOptions
		cmd := NewDiffCmd(factory.New(genericiooptions.NewTestIOStreamsDiscard()), func(o *DiffOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		code := exitcode.For(err)
		if err != nil && code == exitcode.Error {
			code = exitcode.Usage // cobra's own argument errors; root marks them as usage errors
		}
		if code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
		}
		if tc.code == exitcode.OK && got == nil {
			t.Errorf("%v: Run not reached", tc.args)
		}
	}
}
