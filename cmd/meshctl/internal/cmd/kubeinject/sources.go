package kubeinject

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/inject/locate"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// input is one of the injector's three inputs, the flag that gives it as a file, and where it came from.
type input struct {
	locate.Input
	flag, file string
	src        inject.Source
	set        bool
}

// loadConfig gathers the three inputs: files first, then the cluster, then the built-in defaults.
func (o *Options) loadConfig(ctx context.Context) (*inject.Config, inject.PodOptions, error) {
	inputs := []*input{
		{Input: locate.Templates, flag: "--injectConfigFile", file: o.InjectConfigFile},
		{Input: locate.Values, flag: "--valuesFile", file: o.ValuesFile},
		{Input: locate.Mesh, flag: "--meshConfigFile", file: o.MeshConfigFile},
	}
	var missing []*input
	for _, in := range inputs {
		if in.file == "" {
			missing = append(missing, in)
			continue
		}
		src, err := locate.FromFile(in.file, in.Input, in.flag)
		if err != nil {
			return nil, inject.PodOptions{}, err
		}
		in.src, in.set = src, true
	}
	var podOpts inject.PodOptions
	if len(missing) > 0 {
		offline := o.Offline
		if !offline && !o.f.HasKubeconfig() {
			offline = true
			if !o.Quiet {
				fmt.Fprintln(o.f.IOStreams.ErrOut, "no kubeconfig found: using meshctl's built-in injection defaults (as with --offline)")
			}
		}
		var err error
		if offline {
			err = o.fromDefaults(missing)
		} else {
			podOpts, err = o.fromCluster(ctx, missing)
		}
		if err != nil {
			return nil, podOpts, err
		}
	}
	cfg, err := inject.Load(inputs[0].src, inputs[1].src, inputs[2].src)
	return cfg, podOpts, err
}

// fromDefaults fills the missing inputs from the charts built into meshctl, rendered as `manifest
// generate` renders the default profile. It never opens a network connection.
func (o *Options) fromDefaults(missing []*input) error {
	var sets []string
	if o.Revision != "" {
		sets = append(sets, "revision="+o.Revision)
	}
	defaults, err := render.InjectionDefaults(profiles.Input{Sets: sets, Charts: render.EmbeddedCharts(), DefaultTag: buildinfo.Version})
	if err != nil {
		return fmt.Errorf("render the built-in injection defaults: %w", err)
	}
	texts := map[locate.Input]string{locate.Templates: defaults.Config, locate.Values: defaults.Values, locate.Mesh: defaults.Mesh}
	for _, in := range missing {
		in.src = inject.Source{Name: "built-in " + in.ConfigMapName(o.Revision) + " " + in.Key, Text: texts[in.Input], Line: 1}
	}
	return nil
}

// fromCluster fills the missing inputs from the control plane's ConfigMaps, and learns the cluster's
// Kubernetes version. Everything is bounded by ClusterTimeout.
func (o *Options) fromCluster(ctx context.Context, missing []*input) (inject.PodOptions, error) {
	cfg, err := o.f.RESTConfig()
	if err != nil {
		return inject.PodOptions{}, fmt.Errorf("%w\nuse --offline to inject with meshctl's built-in defaults", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = o.ClusterTimeout
	dialer := &net.Dialer{Timeout: o.ClusterTimeout}
	cfg.Dial = dialer.DialContext
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return inject.PodOptions{}, fmt.Errorf("client for %s: %w", o.f.KubeconfigDescription(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.ClusterTimeout)
	defer cancel()

	want := make([]locate.Input, len(missing))
	for i, in := range missing {
		want[i] = in.Input
	}
	srcs, err := locate.FromCluster(ctx, client.CoreV1(), o.f.IstioNamespace, o.Revision, want...)
	if err != nil {
		return inject.PodOptions{}, o.clusterError(err, missing)
	}
	for _, in := range missing {
		in.src = srcs[in.Input]
	}
	podOpts := locate.PodOptions(client.Discovery())
	cluster.WarnAboutSkew(ctx, o.f)
	return podOpts, nil
}

// clusterError explains a failed read: the mesh is not installed, or the cluster is not there, and what
// the user can do about it.
func (o *Options) clusterError(err error, missing []*input) error {
	var mk *locate.MissingKeyError
	if errors.As(err, &mk) {
		for _, in := range missing {
			if in.Key == mk.Key {
				return fmt.Errorf("%w; pass %s instead", err, in.flag)
			}
		}
		return err
	}
	var ce *locate.ConfigMapError
	if !errors.As(err, &ce) {
		return err
	}
	ns, name, kc := ce.Namespace, ce.Name, o.f.KubeconfigDescription()
	switch err := ce.Err; {
	case apierrors.IsNotFound(err):
		hint := "is the mesh installed"
		if o.Revision != "" {
			hint += " with revision " + o.Revision
		}
		return fmt.Errorf("ConfigMap %s/%s not found in the cluster of %s: %s? Use --offline to inject with meshctl's built-in defaults",
			ns, name, kc, hint)
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		return fmt.Errorf("cannot read ConfigMap %s/%s with %s: %w\nuse --offline, or --injectConfigFile, --valuesFile and --meshConfigFile",
			ns, name, kc, err)
	case isTimeout(err):
		return fmt.Errorf("cannot reach the cluster of %s: no answer within %s: %w\nuse --offline to inject with meshctl's built-in defaults",
			kc, o.ClusterTimeout, err)
	case isNetError(err):
		return fmt.Errorf("cannot reach the cluster of %s: %w\nuse --offline to inject with meshctl's built-in defaults", kc, err)
	default:
		return fmt.Errorf("read ConfigMap %s/%s with %s: %w\nuse --offline to inject with meshctl's built-in defaults", ns, name, kc, err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || strings.Contains(err.Error(), "connection refused")
}
