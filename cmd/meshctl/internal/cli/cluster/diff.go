package cluster

import (
	"context"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/iostreams"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// Diff renders the configuration in and prints what install would change on the cluster, in format (""
// for unified diffs, coloured on a terminal): `manifest diff` and `install --dry-run --diff` are this one
// function. Like diff(1), its error exits 1 when there are differences and 2 when there could be no
// comparison (no cluster); bad input and usage errors keep 65 and 64.
func Diff(ctx context.Context, f *factory.Factory, in profiles.Input, format string) error {
	return exitcode.ForDiff(diff(Context(ctx), f, in, format))
}

func diff(ctx context.Context, f *factory.Factory, in profiles.Input, format string) error {
	op, m, err := render.FromInput(in)
	if err != nil {
		return err
	}
	c, err := Clients(f)
	if err != nil {
		return err
	}
	res, err := installer.Diff(ctx, installer.DiffOptions{Clients: c, Manifest: m, Operator: op, Version: buildinfo.Version})
	if err != nil {
		return Explain(f, err)
	}
	_, _ = WarnSkew(ctx, f.IOStreams.ErrOut, c, installer.NamespaceOf(op))
	out := f.IOStreams.Out
	err = installer.WriteDiff(res, installer.DiffReportOptions{
		Out: out, ErrOut: f.IOStreams.ErrOut, Format: format, Color: iostreams.Color(out, f.Getenv, nil),
	})
	if err != nil {
		return err
	}
	if len(res.Objects) > 0 {
		return exitcode.WithCode(exitcode.Differs, nil)
	}
	return nil
}
