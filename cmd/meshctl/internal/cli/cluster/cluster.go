// Package cluster connects meshctl's cluster commands (install, uninstall, precheck, verify-install,
// manifest diff, version) to the installer library: it builds the clients from the factory, turns the
// library's errors into messages that say what to do, and warns about version skew.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meshctl/meshctl/apiretry"
	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/installer"
)

// Clients builds the installer's clients from the factory's kubeconfig, --kubeconfig and --context.
func Clients(f *factory.Factory) (*installer.Clients, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return installer.NewClients(cfg)
}

// Explain adds to err what the library cannot know: which kubeconfig and context were tried.
func Explain(f *factory.Factory, err error) error {
	var ue *installer.UnreachableError
	if errors.As(err, &ue) {
		return fmt.Errorf("%w\nTried %s: check that the cluster is running and that --kubeconfig or --context select it", err, f.KubeconfigDescription())
	}
	return err
}

// NameUnreachable makes any command's failure to reach the API server say so, naming it, in its one
// error line: the installer's commands already do (UnreachableError), the others (analyze, dashboard)
// would otherwise print client-go's text or a bare "context deadline exceeded". It is a no-op for every
// other error, and keeps the error's exit code.
func NameUnreachable(f *factory.Factory, err error) error {
	var ue *installer.UnreachableError
	if err == nil || errors.As(err, &ue) || !(apiretry.IsUnreachable(err) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	cfg, cerr := f.RESTConfig()
	if cerr != nil {
		return err
	}
	return &unreachable{host: cfg.Host, err: err}
}

// unreachable is one line: a command that read many kinds fails for each of them for the same reason, and
// saying it once is clearer than saying it thirty times.
type unreachable struct {
	host string
	err  error
}

func (u *unreachable) Error() string {
	msg := u.err.Error()
	first, rest, more := strings.Cut(msg, "\n")
	if more {
		first += fmt.Sprintf(" (and %d more like it)", strings.Count(rest, "\n")+1)
	}
	return fmt.Sprintf("no cluster reachable at %s: %s", u.host, first)
}

func (u *unreachable) Unwrap() error { return u.err }

// WarnSkew prints a warning to w for each control plane more than one minor release away from this
// meshctl, and returns the control planes. It costs one list request; callers never fail because of its
// error: the warning is a courtesy.
func WarnSkew(ctx context.Context, w io.Writer, c *installer.Clients, namespace string) ([]installer.ControlPlane, error) {
	planes, err := c.ControlPlanes(ctx, namespace)
	if err != nil {
		return nil, err
	}
	for _, msg := range installer.SkewWarnings(buildinfo.Version, planes) {
		fmt.Fprintln(w, "Warning: "+msg)
	}
	return planes, nil
}

// Context is the command's context, or Background when it was executed without one (tests calling
// Execute).
func Context(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

// skewCheckTimeout bounds the skew check of commands whose work is elsewhere: a slow answer only costs
// the warning.
const skewCheckTimeout = 5 * time.Second

// WarnAboutSkew is WarnSkew for the commands that talk to the cluster without the installer's clients
// (analyze, dashboard, kube-inject): it builds them from f and never fails the command.
func WarnAboutSkew(ctx context.Context, f *factory.Factory) {
	c, err := Clients(f)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, skewCheckTimeout)
	defer cancel()
	_, _ = WarnSkew(ctx, f.IOStreams.ErrOut, c, f.IstioNamespace)
}
