package installer

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"

	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// VerifyTarget is one configuration verify-install compares with the cluster.
type VerifyTarget struct {
	Revision string
	Profile  string
	Manifest *render.Manifest
}

// NewVerifyTarget is the target of a rendered configuration.
func NewVerifyTarget(op *profiles.IstioOperator, m *render.Manifest) VerifyTarget {
	return VerifyTarget{Revision: RevisionOf(op), Profile: op.Spec.Profile, Manifest: m}
}

// InstalledTargetsOptions say which installs InstalledTargets finds, and how to render them.
type InstalledTargetsOptions struct {
	// Namespace is the control plane's namespace.
	Namespace string
	// Revision limits the targets to one revision; "" finds every installed revision.
	Revision string
	// Charts render the recorded configurations (nil: the embedded charts).
	Charts fs.FS
	// DefaultTag is the image tag of a configuration that records none: meshctl's version.
	DefaultTag string
}

// NotInstalledError means there is nothing to verify: no installed-state in the namespace, or none of
// the revision asked for.
type NotInstalledError struct {
	Namespace string
	Revision  string // "" when no revision at all is installed
}

func (e *NotInstalledError) Error() string {
	if e.Revision == "" {
		return fmt.Sprintf("no meshctl install found in namespace %s (no IstioOperator installed-state)", e.Namespace)
	}
	return fmt.Sprintf("revision %s is not installed in namespace %s (no IstioOperator %s)", e.Revision, e.Namespace, render.OwnerName(e.Revision))
}

// InstalledTargets renders the configuration each installed revision recorded in its IstioOperator
// installed-state, as it was rendered at install time (with today's charts): what verify-install compares
// the cluster with when it is given no configuration.
func (c *Clients) InstalledTargets(ctx context.Context, o InstalledTargetsOptions) ([]VerifyTarget, error) {
	revisions := []string{o.Revision}
	if o.Revision == "" {
		planes, err := c.ControlPlanes(ctx, o.Namespace)
		if err != nil {
			return nil, err
		}
		revisions = revisions[:0]
		for _, p := range planes {
			revisions = append(revisions, p.Revision)
		}
		if len(revisions) == 0 {
			return nil, &NotInstalledError{Namespace: o.Namespace}
		}
	}
	charts := o.Charts
	if charts == nil {
		charts = render.EmbeddedCharts()
	}
	var out []VerifyTarget
	for _, rev := range revisions {
		doc, err := c.InstalledOperator(ctx, o.Namespace, rev)
		if err != nil {
			return nil, err
		}
		if doc == nil {
			return nil, &NotInstalledError{Namespace: o.Namespace, Revision: rev}
		}
		op, m, err := render.FromInput(profiles.Input{Files: []string{"-"}, Stdin: bytes.NewReader(doc), Charts: charts, DefaultTag: o.DefaultTag})
		if err != nil {
			return nil, fmt.Errorf("render the installed-state of revision %s: %w", rev, err)
		}
		out = append(out, NewVerifyTarget(op, m))
	}
	return out, nil
}
