// Package uninstall implements `meshctl uninstall`: remove what install created, found by its owner
// labels, in an order that cannot deadlock, and report anything left behind.
package uninstall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/confirm"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/progress"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
)

// Options are the flags of `meshctl uninstall`.
type Options struct {
	f                *factory.Factory
	Operator         operatorflags.Flags
	Purge            bool
	SkipConfirmation bool
	DryRun           bool
	Timeout          time.Duration
	Progress         string
}

// NewCmd returns `meshctl uninstall`; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the mesh from the cluster",
		Long: `Remove what meshctl installed.

--purge removes everything meshctl created, in every revision: every object with meshctl's owner
labels in every kind the API server serves (cluster-scoped objects and CRDs included, and with the
CRDs every Istio resource), and the objects the control plane creates while it runs (istio-ca-root-cert
ConfigMaps in every namespace, leader-election ConfigMaps and Leases, its generated CA). The mesh's
namespace is deleted when nothing else is left in it; otherwise it is kept without meshctl's labels.

Without --purge, --revision or -f/--set select one control plane (its revision) and remove its objects;
the CRDs stay.

Objects go in an order that cannot deadlock (webhooks, workloads, config, RBAC, CRDs, namespaces), each
group waited for until it is gone. The command ends with what was left behind and why, and exits
non-zero if anything could not be removed.`,
		Example: `  meshctl uninstall --purge -y
  meshctl uninstall --revision canary -y
  meshctl uninstall --purge --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	o.Operator.Add(fs, true)
	fs.BoolVar(&o.Purge, "purge", false, "remove everything meshctl installed, in every revision, CRDs included")
	fs.BoolVarP(&o.SkipConfirmation, "skip-confirmation", "y", false, "do not ask for confirmation (needed without a terminal)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "list what would be removed; remove nothing")
	fs.DurationVar(&o.Timeout, "timeout", installer.DefaultReadinessTimeout, "how long to wait for each group of objects to be gone")
	fs.StringVar(&o.Progress, "progress", progress.Auto, "progress on stderr: auto (spinner on a terminal, else log), log or json")
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if err := o.Operator.Validate(); err != nil {
		return err
	}
	if err := progress.Validate(o.Progress); err != nil {
		return exitcode.UsageError(fmt.Errorf("--progress: %w", err))
	}
	if !o.Purge && o.Operator.Revision == "" && len(o.Operator.Files) == 0 && len(o.Operator.Sets) == 0 {
		return exitcode.UsageError(errors.New("say what to remove: --purge (everything), --revision REV, or the -f/--set flags of the install"))
	}
	if o.Timeout <= 0 {
		return exitcode.UsageError(errors.New("--timeout must be positive"))
	}
	return nil
}

// Run uninstalls.
func (o *Options) Run(ctx context.Context) error {
	ctx = cluster.Context(ctx)
	uo := installer.UninstallOptions{Purge: o.Purge, Revision: o.Operator.Revision, Timeout: o.Timeout, DryRun: o.DryRun,
		Namespace: installer.DefaultNamespace}
	if len(o.Operator.Files) > 0 || len(o.Operator.Sets) > 0 {
		op, m, err := render.FromInput(o.Operator.Input(o.f.IOStreams.In, ""))
		if err != nil {
			return err
		}
		uo.Manifest, uo.Revision, uo.Namespace = m, installer.RevisionOf(op), installer.NamespaceOf(op)
	}
	if !o.DryRun {
		if err := confirm.Proceed(o.f, o.SkipConfirmation, question(o.Purge, uo.Revision)); err != nil {
			return err
		}
	}
	c, err := cluster.Clients(o.f)
	if err != nil {
		return err
	}
	uo.Clients = c
	_, _ = cluster.WarnSkew(ctx, o.f.IOStreams.ErrOut, c, uo.Namespace)
	sink, stop := progress.New(o.f, o.Progress)
	uo.Progress = sink
	res, err := installer.Uninstall(ctx, uo)
	stop()
	if res != nil {
		if o.DryRun {
			if perr := printList(o.f.IOStreams.Out, res.Removed); perr != nil {
				return perr
			}
		}
	}
	var lbe *installer.LeftBehindError
	if errors.As(err, &lbe) {
		return fmt.Errorf("uninstall left %d object(s) behind (see the warnings above)", len(lbe.Remaining))
	}
	return cluster.Explain(o.f, err)
}

func question(purge bool, revision string) string {
	if purge {
		return "This will remove everything meshctl installed from the cluster, in every revision, including the Istio CRDs " +
			"and with them every Istio resource (VirtualServices, Gateways, ...). Proceed?"
	}
	return fmt.Sprintf("This will remove the mesh's control plane revision %q from the cluster (the CRDs stay). Proceed?", revision)
}

func printList(w io.Writer, objs []string) error {
	for _, o := range objs {
		if _, err := fmt.Fprintln(w, o); err != nil {
			return err
		}
	}
	return nil
}
