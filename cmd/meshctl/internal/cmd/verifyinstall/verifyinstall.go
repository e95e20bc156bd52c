// Package verifyinstall implements `meshctl verify-install`: compare what install renders with the live
// cluster and report missing, drifted and not-ready objects.
package verifyinstall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/operatorflags"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/printer"
)

// Log is the default output: problems one per line, a line per healthy component.
const Log = "log"

// Options are the flags of `meshctl verify-install`.
type Options struct {
	f        *factory.Factory
	Operator operatorflags.Flags
	Output   string
}

// Revision is the verification of one control plane.
type Revision struct {
	Revision string                  `json:"revision"`
	Profile  string                  `json:"profile"`
	Report   *installer.VerifyReport `json:"report"`
}

// Result is what -o json|yaml prints.
type Result struct {
	Revisions []Revision `json:"revisions"`
}

// TableHeader is the header of -o table.
func (r Result) TableHeader() []string {
	return []string{"REVISION", "OBJECT", "COMPONENT", "STATUS", "DETAIL"}
}

// TableRows lists every object of every revision with its status.
func (r Result) TableRows() [][]string {
	var rows [][]string
	for _, rev := range r.Revisions {
		for _, o := range rev.Report.Objects {
			rows = append(rows, []string{rev.Revision, o.Object, o.Component, o.Status, firstLine(o.Detail)})
		}
	}
	return rows
}

// NewCmd returns `meshctl verify-install`; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "verify-install",
		Short: "Verify that the installed mesh matches its configuration and is ready",
		Long: `Render the mesh and compare every object with the live cluster: missing objects, objects that
drifted from the configuration (someone changed a field install sets; found with a server-side apply
dry run, so defaults are no difference) and objects that are not ready (workloads not available,
webhooks without endpoints, CRDs not established).

Without -f or --set it verifies what is installed: the configuration recorded in each IstioOperator
installed-state (only --revision's with --revision). Exits 0 when everything is in order, 79 otherwise.`,
		Example: `  meshctl verify-install
  meshctl verify-install --revision canary
  meshctl verify-install -f my-operator.yaml -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Operator.Validate(); err != nil {
				return err
			}
			if err := printer.Validate(o.Output, Log, printer.Table, printer.JSON, printer.YAML); err != nil {
				return exitcode.UsageError(err)
			}
			if runF != nil {
				return runF(o)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Operator.Add(cmd.Flags(), true)
	cmd.Flags().StringVarP(&o.Output, "output", "o", Log, "output format: log, table, json or yaml")
	return cmd
}

// Run verifies.
func (o *Options) Run(ctx context.Context) error {
	ctx = cluster.Context(ctx)
	c, err := cluster.Clients(o.f)
	if err != nil {
		return err
	}
	if _, err := c.ServerVersion(ctx); err != nil {
		return cluster.Explain(o.f, err)
	}
	targets, err := o.targets(ctx, c)
	if err != nil {
		return err
	}
	_, _ = cluster.WarnSkew(ctx, o.f.IOStreams.ErrOut, c, o.f.IstioNamespace)
	res := Result{}
	healthy := true
	for _, t := range targets {
		rep, err := installer.Verify(ctx, installer.VerifyOptions{Clients: c, Manifest: t.Manifest})
		if err != nil {
			return cluster.Explain(o.f, err)
		}
		healthy = healthy && rep.Healthy()
		res.Revisions = append(res.Revisions, Revision{Revision: t.Revision, Profile: t.Profile, Report: rep})
	}
	out := o.f.IOStreams.Out
	if o.Output == Log {
		writeLog(out, res)
	} else if err := printer.Print(out, o.Output, res); err != nil {
		return err
	}
	if !healthy {
		return exitcode.WithCode(exitcode.IssuesFound, nil)
	}
	return nil
}

// targets are the configurations to verify: the flags' one, or each installed-state on the cluster.
func (o *Options) targets(ctx context.Context, c *installer.Clients) ([]installer.VerifyTarget, error) {
	if len(o.Operator.Files) > 0 || len(o.Operator.Sets) > 0 {
		op, m, err := render.FromInput(o.Operator.Input(o.f.IOStreams.In, ""))
		if err != nil {
			return nil, err
		}
		return []installer.VerifyTarget{installer.NewVerifyTarget(op, m)}, nil
	}
	targets, err := c.InstalledTargets(ctx, installer.InstalledTargetsOptions{
		Namespace: o.f.IstioNamespace, Revision: o.Operator.Revision, Charts: o.Operator.Charts(), DefaultTag: buildinfo.Version,
	})
	var none *installer.NotInstalledError
	switch {
	case errors.As(err, &none) && none.Revision == "":
		return nil, exitcode.WithCode(exitcode.IssuesFound, fmt.Errorf("%w: install the mesh, or pass -f/--set to verify against a configuration", err))
	case errors.As(err, &none):
		return nil, exitcode.WithCode(exitcode.IssuesFound, err)
	case err != nil:
		return nil, cluster.Explain(o.f, err)
	}
	return targets, nil
}

// writeLog prints each problem, then a line per component whose objects are all in order, then a summary.
func writeLog(w io.Writer, res Result) {
	for _, rev := range res.Revisions {
		rep := rev.Report
		bad := map[string]bool{}
		var order []string
		for _, s := range rep.Objects {
			if s.Component != "" && !slices.Contains(order, s.Component) {
				order = append(order, s.Component)
			}
			if s.Status == installer.VerifyOK {
				continue
			}
			bad[s.Component] = true
			fmt.Fprintf(w, "✘ %s: %s: %s\n", s.Object, s.Status, strings.ReplaceAll(s.Detail, "\n", "\n    "))
		}
		for _, comp := range order {
			if !bad[comp] {
				fmt.Fprintf(w, "✔ %s: all objects present, as configured and ready\n", comp)
			}
		}
		fmt.Fprintf(w, "Checked %d objects of revision %s (%s profile): %d ok, %d missing, %d drifted, %d not ready\n",
			len(rep.Objects), rev.Revision, rev.Profile, rep.OK, rep.Missing, rep.Drifted, rep.NotReady)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
