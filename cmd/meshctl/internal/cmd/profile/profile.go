// Package profile implements `meshctl profile list|dump|diff`.
package profile

import (
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// NewCmd returns `meshctl profile` with its subcommands.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "List, dump and compare installation profiles",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(NewListCmd(f, nil), NewDumpCmd(f, nil), NewDiffCmd(f, nil))
	return cmd
}
