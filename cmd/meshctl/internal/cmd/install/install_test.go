package install

import (
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/installer/render"
)

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--diff"}, exitcode.Usage, "--diff needs --dry-run"},
		{[]string{"--progress", "xml"}, exitcode.Usage, "--progress"},
		{[]string{"--readiness-timeout", "0s"}, exitcode.Usage, "must be positive"},
		{[]string{"--manifests", "/nonexistent"}, exitcode.BadInput, "not a directory"},
		{[]string{"-y", "--dry-run", "--diff", "--progress", "json", "--readiness-timeout", "10s", "--force", "--revision", "canary", "--set", "profile=demo", "-f", "x.yaml"}, exitcode.OK, ""},
	}
	for _, tc := range tests {
		var got *Options
		cmd := NewCmd(factory.New(genericiooptions.NewTestIOStreamsDiscard()), func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if code := exitcode.For(err); code != tc.code || (err != nil && !strings.Contains(err.Error(), tc.msg)) {
			t.Errorf("%v: exit %d (%v), want %d with %q", tc.args, code, err, tc.code, tc.msg)
		}
		if tc.code == exitcode.OK && (got == nil || !got.SkipConfirmation || !got.DryRun || got.Operator.Revision != "canary" || got.ReadinessTimeout.String() != "10s") {
			t.Errorf("%v: options %+v", tc.args, got)
		}
	}
	for _, alias := range []string{"apply", "upgrade"} {
		if !NewCmd(nil, nil).HasAlias(alias) {
			t.Errorf("install has no alias %s", alias)
		}
	}
}

func TestQuestion(t *testing.T) {
	flags := operatorflags.Flags{Sets: []string{"profile=demo", "tag=1.2.3"}}
	op, m, err := render.FromInput(flags.Input(nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	want := `This will install the mesh 1.2.3 "demo" profile with [Mesh core, Istiod, Egress gateways, Ingress gateways] into the cluster. Proceed?`
	if got := Question(op, m); got != want {
		t.Errorf("question:\n%s\nwant:\n%s", got, want)
	}
}
