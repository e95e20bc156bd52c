// Package version implements `meshctl version`.
package version

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/printer"
)

// remoteTimeout bounds the control plane lookup: version must answer quickly even when the kubeconfig
// points at a cluster that is down.
const remoteTimeout = 5 * time.Second

// Options are the flags of `meshctl version`.
type Options struct {
	f      *factory.Factory
	Short  bool
	Output string
	// Remote looks up the control plane's version when a kubeconfig exists.
	Remote bool
}

// Result is what `meshctl version -o json|yaml` prints.
type Result struct {
	ClientVersion buildinfo.Info `json:"clientVersion"`
	// MeshVersion lists the installed control planes (one per revision), when a cluster was reachable.
	MeshVersion []installer.ControlPlane `json:"meshVersion,omitempty"`
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
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&o.Short, "short", "s", false, "print only meshctl's version number")
	cmd.Flags().BoolVar(&o.Remote, "remote", true, "also show the control plane's version when a cluster is configured")
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
func (o *Options) Run(ctx context.Context) error {
	info := buildinfo.Get()
	out := o.f.IOStreams.Out
	if o.Short {
		if o.Output == "" {
			_, err := fmt.Fprintln(out, info.Version)
			return err
		}
		return printer.Print(out, o.Output, Result{ClientVersion: info})
	}
	res := Result{ClientVersion: info}
	planes, looked := o.controlPlanes(cluster.Context(ctx))
	res.MeshVersion = planes
	if o.Output != "" {
		return printer.Print(out, o.Output, res)
	}
	if _, err := fmt.Fprintf(out, "client version: %s (commit %s, built %s, %s, %s)\n",
		info.Version, info.GitCommit, info.BuildDate, info.GoVersion, info.Platform); err != nil {
		return err
	}
	if looked && len(planes) == 0 {
		_, err := fmt.Fprintf(out, "control plane version: none installed in namespace %s\n", o.f.IstioNamespace)
		return err
	}
	for _, p := range planes {
		line := fmt.Sprintf("control plane version: %s (revision %s", p.Version, p.Revision)
		if p.Profile != "" {
			line += ", profile " + p.Profile
		}
		if p.InstalledBy != "" {
			line += ", installed by meshctl " + p.InstalledBy
		}
		if _, err := fmt.Fprintln(out, line+")"); err != nil {
			return err
		}
	}
	return nil
}

// controlPlanes reads the installed control planes when a kubeconfig exists and --remote is on. Trouble
// reaching the cluster is a warning on stderr: version never fails because of it.
func (o *Options) controlPlanes(ctx context.Context) ([]installer.ControlPlane, bool) {
	if !o.Remote || !o.f.HasKubeconfig() {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	c, err := cluster.Clients(o.f)
	if err == nil {
		_, err = c.ServerVersion(ctx)
	}
	if err != nil {
		fmt.Fprintf(o.f.IOStreams.ErrOut, "Warning: control plane version unknown: %v\n", err)
		return nil, false
	}
	planes, err := cluster.WarnSkew(ctx, o.f.IOStreams.ErrOut, c, o.f.IstioNamespace)
	if err != nil {
		fmt.Fprintf(o.f.IOStreams.ErrOut, "Warning: control plane version unknown: %v\n", err)
		return nil, false
	}
	return planes, true
}
