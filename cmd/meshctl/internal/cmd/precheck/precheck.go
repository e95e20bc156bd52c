// Package precheck implements `meshctl x precheck` (also `meshctl precheck`): check that the cluster is
// ready for the planned install, one result per check, and exit non-zero when a check fails.
package precheck

import (
	"context"
	"fmt"
	"io"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/iostreams"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/precheck"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/printer"
)

// Log is the default output: one line per check.
const Log = "log"

// Options are the flags of `meshctl x precheck`.
type Options struct {
	f        *factory.Factory
	Operator operatorflags.Flags
	Output   string
}

// Report is what -o json|yaml prints.
type Report struct {
	Checks  []precheck.Result `json:"checks"`
	Summary precheck.Summary  `json:"summary"`
}

// NewCmd returns the precheck command; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "precheck",
		Short: "Check that the cluster is ready for meshctl install",
		Long: `Check the cluster against the install the flags describe (the same -f/--set/--revision as install):
the Kubernetes version, the permissions install needs, existing installs of meshctl or other tools,
other sidecar injectors, the Istio CRDs already there, Pod Security levels that would reject injected
pods, and a server-side dry run of the whole manifest.

Each check ends ok, warning or error with a reason and a link to its documentation; every check runs
even after one fails. Exits 0 when no check fails (warnings allowed), 79 otherwise.`,
		Example: `  meshctl x precheck
  meshctl x precheck --set profile=demo -o json
  meshctl x precheck --revision canary`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Operator.Validate(); err != nil {
				return err
			}
			if err := printer.Validate(o.Output, Log, printer.JSON, printer.YAML); err != nil {
				return exitcode.UsageError(err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Operator.Add(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.Output, "output", "o", Log, "output format: log, json or yaml")
	return cmd
}

// Run runs the checks.
func (o *Options) Run(ctx context.Context) error {
	ctx = cluster.Context(ctx)
	op, m, err := render.FromInput(o.Operator.Input(o.f.IOStreams.In, ""))
	if err != nil {
		return err
	}
	c, err := cluster.Clients(o.f)
	if err != nil {
		return err
	}
	// Without a reachable API server no check can say anything useful: fail once, clearly.
	if _, err := c.ServerVersion(ctx); err != nil {
		return cluster.Explain(o.f, err)
	}
	_, _ = cluster.WarnSkew(ctx, o.f.IOStreams.ErrOut, c, installer.NamespaceOf(op))
	results := precheck.Run(ctx, precheck.Input{Clients: c, Manifest: m, Operator: op})
	rep := Report{Checks: results, Summary: precheck.Summarize(results)}
	out := o.f.IOStreams.Out
	if o.Output == Log {
		writeLog(out, rep, iostreams.Color(out, o.f.Getenv, nil))
	} else if err := printer.Print(out, o.Output, rep); err != nil {
		return err
	}
	if rep.Summary.Errors > 0 {
		return exitcode.WithCode(exitcode.IssuesFound, nil)
	}
	return nil
}

// writeLog prints linkerd-check-like lines: ✔ ok, ‼ warning, ✘ error, with the doc link under problems.
func writeLog(w io.Writer, rep Report, colored bool) {
	sym := map[precheck.Status]*color.Color{
		precheck.OK: color.New(color.FgGreen), precheck.Warning: color.New(color.FgYellow), precheck.Error: color.New(color.FgRed),
	}
	marks := map[precheck.Status]string{precheck.OK: "✔", precheck.Warning: "‼", precheck.Error: "✘"}
	for _, c := range sym {
		if colored {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	for _, r := range rep.Checks {
		fmt.Fprintf(w, "%s %s: %s\n", sym[r.Status].Sprint(marks[r.Status]), r.Description, r.Reason)
		if r.Status != precheck.OK {
			fmt.Fprintf(w, "    see %s\n", r.Doc)
		}
	}
	s := rep.Summary
	switch {
	case s.Errors > 0:
		fmt.Fprintf(w, "\n%s %d check(s) failed, %d warning(s): fix the errors above before installing\n", sym[precheck.Error].Sprint("✘"), s.Errors, s.Warnings)
	case s.Warnings > 0:
		fmt.Fprintf(w, "\n%s No errors, %d warning(s): the cluster is ready for meshctl install\n", sym[precheck.Warning].Sprint("‼"), s.Warnings)
	default:
		fmt.Fprintf(w, "\n%s No issues found: the cluster is ready for meshctl install\n", sym[precheck.OK].Sprint("✔"))
	}
}
