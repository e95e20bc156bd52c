// Package experimental is `meshctl x`, where commands live that Istio keeps under istioctl x
// (experimental): precheck, for now. The root command hands it its subcommands, so that it imports no
// other command package.
package experimental

import "github.com/spf13/cobra"

// NewCmd returns `meshctl x` with the given subcommands.
func NewCmd(subcommands ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "x",
		Aliases: []string{"experimental", "exp"},
		Short:   "Commands Istio's users know under istioctl x",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(subcommands...)
	return cmd
}
