package manifest

import (
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/printer"
)

// DiffOptions are the flags of `manifest diff`.
type DiffOptions struct {
	f        *factory.Factory
	Operator operatorflags.Flags
	Output   string
}

// NewDiffCmd returns `meshctl manifest diff`; runF replaces Run in tests.
func NewDiffCmd(f *factory.Factory, runF func(*DiffOptions) error) *cobra.Command {
	o := &DiffOptions{f: f}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what install would change on the live cluster",
		Long: `Compare the live cluster with what 'meshctl install' would apply for the same flags, as a unified
diff per object (live first). The "after" side of each object is the API server's answer to a
server-side apply dry run, so fields the server defaults, fields other controllers own and admission's
changes appear on both sides and produce no noise. Objects install would prune show as removed.

Like diff(1), exits 0 when there are no differences, 1 when there are and 2 when there could be no
comparison (the cluster is unreachable, say); 64 for bad flags and 65 for bad -f/--set input. Nothing
is changed.
'meshctl install --dry-run --diff' prints the same.`,
		Example: `  meshctl manifest diff --set profile=demo
  meshctl manifest diff -f my-operator.yaml --context prod
  meshctl manifest diff --set profile=default -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Operator.Validate(); err != nil {
				return err
			}
			if o.Output != "" {
				if err := printer.Validate(o.Output, printer.JSON, printer.YAML); err != nil {
					return exitcode.UsageError(err)
				}
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd)
		},
	}
	o.Operator.Add(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "print the differences as json or yaml instead of unified diffs")
	return cmd
}

// Run prints the diff.
func (o *DiffOptions) Run(cmd *cobra.Command) error {
	return cluster.Diff(cmd.Context(), o.f, o.Operator.Input(o.f.IOStreams.In, ""), o.Output)
}
