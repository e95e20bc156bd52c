package uninstall

import (
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{}, exitcode.Usage, "--purge"},
		{[]string{"-y"}, exitcode.Usage, "say what to remove"},
		{[]string{"--purge", "--timeout", "0s"}, exitcode.Usage, "--timeout"},
		{[]string{"--purge", "--progress", "fancy"}, exitcode.Usage, "--progress"},
		{[]string{"--purge", "-y", "--dry-run", "--progress", "json"}, exitcode.OK, ""},
		{[]string{"--revision", "canary"}, exitcode.OK, ""},
		{[]string{"--set", "revision=canary"}, exitcode.OK, ""},
		{[]string{"-f", "operator.yaml"}, exitcode.OK, ""},
	} {
		var got *Options
		cmd := NewCmd(factory.New(genericiooptions.NewTestIOStreamsDiscard()), func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if code := exitcode.For(err); code != tc.code || (err != nil && !strings.Contains(err.Error(), tc.msg)) {
			t.Errorf("%v: exit %d (%v), want %d with %q", tc.args, code, err, tc.code, tc.msg)
		}
		if tc.code == exitcode.OK && got == nil {
			t.Errorf("%v: Run not reached", tc.args)
		}
	}
}

func TestQuestion(t *testing.T) {
	if q := question(true, ""); !strings.Contains(q, "every revision") || !strings.Contains(q, "CRDs") {
		t.Errorf("purge question %q", q)
	}
	if q := question(false, "canary"); !strings.Contains(q, `"canary"`) || !strings.Contains(q, "CRDs stay") {
		t.Errorf("revision question %q", q)
	}
}
