package profile

import (
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/printer"
	"github.com/meshctl/meshctl/profiles"
)

// ListOptions are the flags of `profile list`.
type ListOptions struct {
	f      *factory.Factory
	Output string
}

// profileList prints as a table or as one JSON/YAML document.
type profileList []profiles.Profile

func (l profileList) TableHeader() []string { return []string{"NAME", "DESCRIPTION"} }
func (l profileList) TableRows() [][]string {
	rows := make([][]string, len(l))
	for i, p := range l {
		rows[i] = []string{p.Name, p.Description}
	}
	return rows
}

// NewListCmd returns `meshctl profile list`.
func NewListCmd(f *factory.Factory, runF func(*ListOptions) error) *cobra.Command {
	o := &ListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in profiles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := printer.Validate(o.Output, printer.Table, printer.JSON, printer.YAML); err != nil {
				return exitcode.UsageError(err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", printer.Table, "output format: table, json or yaml")
	return cmd
}

// Run prints the profiles.
func (o *ListOptions) Run() error {
	return printer.Print(o.f.IOStreams.Out, o.Output, profileList(profiles.List()))
}
