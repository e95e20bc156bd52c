// Package install implements `meshctl install` (aliases apply and upgrade): render the mesh exactly as
// `manifest generate` does, apply it with server-side apply in dependency order, and wait until it is
// ready, saying which resource is not and why.
package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/confirm"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/progress"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// Options are the flags of `meshctl install`.
type Options struct {
	f                *factory.Factory
	Operator         operatorflags.Flags
	SkipConfirmation bool
	DryRun           bool
	Diff             bool
	Force            bool
	ReadinessTimeout time.Duration
	Progress         string
}

// NewCmd returns `meshctl install`; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:     "install",
		Aliases: []string{"apply", "upgrade"},
		Short:   "Install or upgrade the mesh on the cluster",
		Long: `Install the mesh from a profile and IstioOperator overlays, or bring an installed mesh to a new
configuration (upgrade is the same command).

install renders exactly what 'meshctl manifest generate' prints for the same flags, applies it with
server-side apply (field manager "meshctl") in dependency order (CRDs, namespace, RBAC, config,
webhooks, workloads), records the configuration as the IstioOperator installed-state in the mesh's
namespace, removes objects of the previous install that the new configuration no longer has, and waits
until the workloads are available and the webhooks have endpoints. When something is not ready in time,
it names each resource and why (unschedulable, image pull errors, events) and exits non-zero.

Progress goes to stderr: a spinner on a terminal, plain lines in a pipe or CI, JSON events with
--progress=json.`,
		Example: `  meshctl x precheck && meshctl install --set profile=demo -y
  meshctl install -f my-operator.yaml --context staging
  meshctl install --set profile=demo --dry-run --diff
  meshctl install --set profile=minimal --revision canary -y`,
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
	fs.BoolVarP(&o.SkipConfirmation, "skip-confirmation", "y", false, "do not ask for confirmation (needed without a terminal)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "change nothing; print what would be applied (server-side dry run)")
	fs.BoolVar(&o.Diff, "diff", false, "with --dry-run: print the diff between the cluster and what would be applied (as manifest diff)")
	fs.BoolVar(&o.Force, "force", false, "take over objects another tool installed, and install next to another sidecar injector")
	fs.DurationVar(&o.ReadinessTimeout, "readiness-timeout", installer.DefaultReadinessTimeout, "how long each phase may wait (CRDs established, pruned objects gone, workloads ready)")
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
	if o.Diff && !o.DryRun {
		return exitcode.UsageError(errors.New("--diff needs --dry-run (or use meshctl manifest diff)"))
	}
	if o.ReadinessTimeout <= 0 {
		return exitcode.UsageError(errors.New("--readiness-timeout must be positive"))
	}
	return nil
}

// Run installs.
func (o *Options) Run(ctx context.Context) error {
	if o.Diff {
		return cluster.Diff(ctx, o.f, o.Operator.Input(o.f.IOStreams.In, ""), "")
	}
	ctx = cluster.Context(ctx)
	op, m, err := render.FromInput(o.Operator.Input(o.f.IOStreams.In, ""))
	if err != nil {
		return err
	}
	if !o.DryRun {
		if err := confirm.Proceed(o.f, o.SkipConfirmation, Question(op, m)); err != nil {
			return err
		}
	}
	c, err := cluster.Clients(o.f)
	if err != nil {
		return err
	}
	sink, stop := progress.New(o.f, o.Progress)
	res, err := installer.Install(ctx, installer.InstallOptions{
		Clients: c, Manifest: m, Operator: op, ReadinessTimeout: o.ReadinessTimeout,
		DryRun: o.DryRun, Force: o.Force, Version: buildinfo.Version, Progress: sink,
	})
	stop()
	var nre *installer.NotReadyError
	if err == nil || errors.As(err, &nre) {
		_, _ = cluster.WarnSkew(ctx, o.f.IOStreams.ErrOut, c, installer.NamespaceOf(op))
	}
	if o.DryRun && res != nil && err == nil {
		return printDryRun(o.f.IOStreams.Out, res)
	}
	return explain(o.f, err)
}

// Question is the confirmation install asks on a terminal.
func Question(op *profiles.IstioOperator, m *render.Manifest) string {
	titles := make([]string, 0, len(m.Components))
	for _, c := range m.Components {
		titles = append(titles, c.Title)
	}
	rev := ""
	if op.Spec.Revision != "" {
		rev = " as revision " + op.Spec.Revision
	}
	return fmt.Sprintf("This will install the mesh %s %q profile with [%s] into the cluster%s. Proceed?",
		op.Spec.Tag, op.Spec.Profile, strings.Join(titles, ", "), rev)
}

// printDryRun lists, on stdout, what install would do to each object.
func printDryRun(w io.Writer, res *installer.InstallResult) error {
	for _, r := range res.Objects {
		if _, err := fmt.Fprintf(w, "%-16s %s\n", r.Action, r.Object); err != nil {
			return err
		}
	}
	for _, p := range res.Pruned {
		if _, err := fmt.Fprintf(w, "%-16s %s\n", installer.ActionWouldPrune, p); err != nil {
			return err
		}
	}
	return nil
}

// explain shortens errors the progress output already detailed, and adds the kubeconfig to connection
// errors.
func explain(f *factory.Factory, err error) error {
	if err == nil {
		return nil
	}
	var nre *installer.NotReadyError
	if errors.As(err, &nre) {
		names := make([]string, len(nre.NotReady))
		for i, nr := range nre.NotReady {
			names[i] = nr.Object
		}
		return fmt.Errorf("installation failed: %d resource(s) not ready after %s: %s", len(names), nre.Timeout, strings.Join(names, ", "))
	}
	return cluster.Explain(f, err)
}
