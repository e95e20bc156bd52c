package install

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/printer"
	"github.com/meshctl/meshctl/profiles"
)

// RunDiff prints the diff between the cluster and what install would apply: `manifest diff` and
// `install --dry-run --diff`. output "" prints unified diffs (coloured on a terminal), json or yaml print
// one document. Like diff(1), it exits 1 when there are differences.
func RunDiff(ctx context.Context, f *factory.Factory, c *installer.Clients, op *profiles.IstioOperator, m *render.Manifest, output string) error {
	res, err := installer.Diff(ctx, installer.DiffOptions{Clients: c, Manifest: m, Operator: op, Version: buildinfo.Version})
	if err != nil {
		return cluster.Explain(f, err)
	}
	_, _ = cluster.WarnSkew(ctx, f.IOStreams.ErrOut, c, namespaceOf(op))
	out := f.IOStreams.Out
	if output != "" {
		if err := printer.Print(out, output, res); err != nil {
			return err
		}
	} else {
		writeDiffs(out, res, factory.ColorEnabled(out, f.Getenv))
		if len(res.Objects) == 0 {
			fmt.Fprintf(f.IOStreams.ErrOut, "No differences: all %d objects on the cluster are as install would apply them.\n", res.Unchanged)
		} else {
			fmt.Fprintf(f.IOStreams.ErrOut, "%d object(s) differ, %d unchanged.\n", len(res.Objects), res.Unchanged)
		}
	}
	if len(res.Objects) > 0 {
		return exitcode.WithCode(exitcode.Differs, nil)
	}
	return nil
}

func writeDiffs(w io.Writer, res *installer.DiffResult, colored bool) {
	red, green, bold := color.New(color.FgRed), color.New(color.FgGreen), color.New(color.Bold)
	for _, c := range []*color.Color{red, green, bold} {
		if colored {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	for _, d := range res.Objects {
		for _, line := range strings.SplitAfter(d.Diff, "\n") {
			switch {
			case line == "":
			case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
				bold.Fprint(w, line)
			case strings.HasPrefix(line, "-"):
				red.Fprint(w, line)
			case strings.HasPrefix(line, "+"):
				green.Fprint(w, line)
			default:
				fmt.Fprint(w, line)
			}
		}
	}
}
