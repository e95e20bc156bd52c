// Package manifest implements `meshctl manifest`: generate (and, with the install work, diff).
package manifest

import (
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// NewCmd returns `meshctl manifest` with its subcommands.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Render the mesh's Kubernetes manifests",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(NewGenerateCmd(f, nil), NewDiffCmd(f, nil))
	return cmd
}
