// Package experimental is `meshctl x`, where commands live that Istio keeps under istioctl x
// (experimental): precheck, for now.
package experimental

import (
	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/precheck"
)

// NewCmd returns `meshctl x` with its subcommands.
func NewCmd(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "x",
		Aliases: []string{"experimental", "exp"},
		Short:   "Commands Istio's users know under istioctl x",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(precheck.NewCmd(f, nil))
	return cmd
}
