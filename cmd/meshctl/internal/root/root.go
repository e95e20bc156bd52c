// Package root assembles meshctl's command tree and runs it.
package root

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/analyze"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/completion"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/dashboard"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/experimental"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/install"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/kubeinject"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/manifest"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/precheck"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/profile"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/uninstall"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/verifyinstall"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cmd/version"
)

// NewCmd returns the root command with every subcommand, wired to f.
func NewCmd(f *factory.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "meshctl",
		Short: "Install, configure and inspect the meshctl service mesh (Istio-compatible)",
		Long: `meshctl installs and operates a service mesh that speaks Istio's APIs.
Commands from Istio tutorials work with meshctl in place of istioctl.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return applyConfigDefaults(cmd, f.Getenv)
		},
	}
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	addKubeFlags(root.PersistentFlags(), f)
	root.PersistentFlags().StringVarP(&f.IstioNamespace, "istioNamespace", "i", factory.DefaultIstioNamespace,
		"namespace of the mesh's control plane")

	root.AddCommand(
		analyze.NewCmd(f, nil),
		manifest.NewCmd(f),
		profile.NewCmd(f),
		version.NewCmd(f, nil),
		completion.NewCmd(f),
		dashboard.NewCmd(f, nil),
		kubeinject.NewCmd(f, nil),
		install.NewCmd(f, nil),
		uninstall.NewCmd(f, nil),
		verifyinstall.NewCmd(f, nil),
		precheck.NewCmd(f, nil),
		experimental.NewCmd(precheck.NewCmd(f, nil)),
	)
	markUsageErrors(root)
	return root
}

// addKubeFlags adds kubectl's connection flags. istioctl's users type -s for --set and for version --short,
// so kubectl's -s shorthand of --server is left out.
func addKubeFlags(flags *pflag.FlagSet, f *factory.Factory) {
	kube := pflag.NewFlagSet("kube", pflag.ContinueOnError)
	f.ConfigFlags.AddFlags(kube)
	kube.VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "server" {
			fl.Shorthand = ""
		}
		flags.AddFlag(fl)
	})
}

// markUsageErrors makes flag and argument errors exit with the usage code, on every command.
func markUsageErrors(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.UsageError(fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath()))
	})
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return exitcode.UsageError(fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath()))
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		markUsageErrors(c)
	}
}

// Run executes meshctl with args and returns the process exit code; everything it prints goes to streams.
func Run(ctx context.Context, args []string, streams genericiooptions.IOStreams) int {
	f := factory.New(streams)
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	return report(cluster.NameUnreachable(f, err), streams.ErrOut)
}

// report prints err once, as "Error: ...", and returns its exit code.
func report(err error, w io.Writer) int {
	if strings.HasPrefix(err.Error(), "unknown command") {
		err = exitcode.UsageError(fmt.Errorf("%w\nRun 'meshctl --help' for usage", err))
	}
	var coded *exitcode.CodedError
	silent := errors.As(err, &coded) && coded.Err == nil
	// A bare "context canceled" is the user's own Ctrl-C: the exit code says so, and the text would only
	// read like a failure. A wrapped one says what was interrupted, and is printed.
	if err == context.Canceled {
		silent = true
	}
	if !silent {
		fmt.Fprintf(w, "Error: %v\n", err)
	}
	return exitcode.For(err)
}
