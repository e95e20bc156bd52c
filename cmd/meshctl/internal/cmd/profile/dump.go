package profile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/printer"
	"github.com/meshctl/meshctl/profiles"
)

// flagsFormat prints a configuration as the --set flags that reproduce it.
const flagsFormat = "flags"

// DumpOptions are the flags of `profile dump`.
type DumpOptions struct {
	f          *factory.Factory
	Operator   operatorflags.Flags
	Profile    string
	ConfigPath string
	Output     string
}

// NewDumpCmd returns `meshctl profile dump [NAME]`.
func NewDumpCmd(f *factory.Factory, runF func(*DumpOptions) error) *cobra.Command {
	o := &DumpOptions{f: f}
	cmd := &cobra.Command{
		Use:   "dump [PROFILE]",
		Short: "Print a profile merged with -f files and --set flags, as an IstioOperator",
		Example: `  meshctl profile dump demo
  meshctl profile dump --config-path spec.components demo
  meshctl profile dump -f my-operator.yaml -o flags`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return profiles.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Profile = args[0]
			}
			if err := printer.Validate(o.Output, printer.YAML, printer.JSON, flagsFormat); err != nil {
				return exitcode.UsageError(err)
			}
			if err := o.Operator.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run()
		},
	}
	o.Operator.Add(cmd.Flags(), false)
	cmd.Flags().StringVarP(&o.ConfigPath, "config-path", "p", "", "print only the subtree at this path, e.g. spec.components")
	cmd.Flags().StringVarP(&o.Output, "output", "o", printer.YAML, "output format: yaml, json or flags")
	return cmd
}

// Run prints the merged configuration.
func (o *DumpOptions) Run() error {
	r, err := profiles.Resolve(o.Operator.Input(o.f.IOStreams.In, o.Profile))
	if err != nil {
		return err
	}
	var v any = r.Tree
	if o.ConfigPath != "" {
		if v, err = profiles.Subtree(r.Tree, o.ConfigPath); err != nil {
			return exitcode.UsageError(fmt.Errorf("--config-path %s: %w", o.ConfigPath, err))
		}
	}
	if o.Output != flagsFormat {
		return printer.Print(o.f.IOStreams.Out, o.Output, v)
	}
	// --set paths are relative to spec, so flags print spec or a subtree of it.
	if o.ConfigPath == "" {
		v = r.Tree["spec"]
	} else if o.ConfigPath != "spec" && !strings.HasPrefix(o.ConfigPath, "spec.") {
		return exitcode.UsageError(fmt.Errorf("-o flags prints --set flags, which only reach spec: --config-path %s is outside it", o.ConfigPath))
	}
	prefix := strings.TrimPrefix(strings.TrimPrefix(o.ConfigPath, "spec"), ".")
	lines := profiles.SetFlags(v, prefix)
	sort.Strings(lines)
	for _, l := range lines {
		if _, err := fmt.Fprintf(o.f.IOStreams.Out, "--set %s\n", l); err != nil {
			return err
		}
	}
	return nil
}
