// Package version implements `meshctl version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/printer"
)

// Options are the flags of `meshctl version`.
type Options struct {
	f      *factory.Factory
	Short  bool
	Output string
}

// Result is what `meshctl version -o json|yaml` prints.
type Result struct {
	ClientVersion buildinfo.Info `json:"clientVersion"`
}

// NewCmd returns the version command; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print meshctl's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return exitcode.UsageError(err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	cmd.Flags().BoolVarP(&o.Short, "short", "s", false, "print only the version number")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json or yaml")
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.Output == "" {
		return nil
	}
	return printer.Validate(o.Output, printer.JSON, printer.YAML)
}

// Run prints the version.
func (o *Options) Run() error {
	info := buildinfo.Get()
	out := o.f.IOStreams.Out
	switch {
	case o.Output != "":
		return printer.Print(out, o.Output, Result{ClientVersion: info})
	case o.Short:
		_, err := fmt.Fprintln(out, info.Version)
		return err
	default:
		_, err := fmt.Fprintf(out, "client version: %s (commit %s, built %s, %s, %s)\n",
			info.Version, info.GitCommit, info.BuildDate, info.GoVersion, info.Platform)
		return err
	}
}
