// Package kubeinject implements `meshctl kube-inject`: flags and I/O around package inject.
package kubeinject

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/kubeyaml"
)

// DefaultClusterTimeout bounds reading the injector's ConfigMaps from a cluster, so that an unreachable
// cluster fails fast instead of hanging as istioctl does.
const DefaultClusterTimeout = 5 * time.Second

// Options are the flags of `meshctl kube-inject`.
type Options struct {
	f *factory.Factory

	Filenames        []string
	Output           string
	InjectConfigFile string
	MeshConfigFile   string
	ValuesFile       string
	Revision         string
	Offline          bool
	Quiet            bool
	SkipUninjectable bool

	// ClusterTimeout bounds the cluster lookups; tests shorten it.
	ClusterTimeout time.Duration
}

// NewCmd returns the kube-inject command; runF replaces Run in tests.
func NewCmd(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{f: f, ClusterTimeout: DefaultClusterTimeout}
	cmd := &cobra.Command{
		Use:   "kube-inject",
		Short: "Add the mesh's sidecar to the workloads of Kubernetes YAML",
		Long: `Inject the mesh's sidecar proxy into the pod templates of Kubernetes YAML: Pods, Deployments,
StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs and OpenShift
DeploymentConfigs. Every other document passes through unchanged, in order.

The injection templates, values and mesh configuration come from, in this order: the --injectConfigFile,
--valuesFile and --meshConfigFile files; the cluster's ConfigMaps istio-sidecar-injector and istio (in the
-i/--istioNamespace namespace, with the -<revision> suffix when --revision is set); meshctl's built-in
defaults with --offline, or when there is no kubeconfig at all.

stdout gets YAML only, and only when the whole input was read and injected; the report of what happened
to each document goes to stderr.`,
		Example: `  meshctl kube-inject -f samples/sleep/sleep.yaml | kubectl apply -f -
  kubectl get deployment sleep -o yaml | meshctl kube-inject -f - | kubectl apply -f -
  meshctl kube-inject --offline -f app/ -o app-injected.yaml`,
		Args: cobra.NoArgs,
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
	fl := cmd.Flags()
	fl.StringArrayVarP(&o.Filenames, "filename", "f", nil, "input YAML: a file, a directory, or - for stdin (repeatable)")
	fl.StringVarP(&o.Output, "output", "o", "", "write the injected YAML to this file instead of stdout")
	fl.StringVar(&o.InjectConfigFile, "injectConfigFile", "", "injection templates and policy: ConfigMap istio-sidecar-injector's data.config (or the whole ConfigMap)")
	fl.StringVar(&o.MeshConfigFile, "meshConfigFile", "", "mesh configuration: ConfigMap istio's data.mesh (or the whole ConfigMap)")
	fl.StringVar(&o.ValuesFile, "valuesFile", "", "control plane values: ConfigMap istio-sidecar-injector's data.values (or the whole ConfigMap)")
	fl.StringVarP(&o.Revision, "revision", "r", "", "control plane revision whose injector to use")
	fl.BoolVar(&o.Offline, "offline", false, "never contact a cluster: use meshctl's built-in defaults for what the files do not give")
	fl.BoolVar(&o.Quiet, "quiet", false, "do not report on each document on stderr")
	fl.BoolVar(&o.SkipUninjectable, "skip-uninjectable", false, "pass workloads that cannot be injected through unchanged instead of failing")
	return cmd
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if len(o.Filenames) == 0 {
		return fmt.Errorf("-f/--filename is required: a file, a directory, or - for stdin")
	}
	stdin := 0
	for _, f := range o.Filenames {
		if f == kubeyaml.Stdin {
			stdin++
		}
	}
	if stdin > 1 {
		return fmt.Errorf("-f - can be given only once")
	}
	if o.Revision != "" {
		if errs := validation.IsDNS1123Label(o.Revision); len(errs) > 0 {
			return fmt.Errorf("--revision %q: %s", o.Revision, errs[0])
		}
	}
	return nil
}

// Run injects the input and writes the output.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, podOpts, err := o.loadConfig(ctx)
	if err != nil {
		return err
	}
	paths, err := kubeyaml.ExpandPaths(o.Filenames, false)
	if err != nil {
		return err
	}
	out, err := newOutput(o.Output, o.f.IOStreams.Out)
	if err != nil {
		return err
	}
	defer out.Discard()

	opts := inject.StreamOptions{Pod: podOpts, SkipUninjectable: o.SkipUninjectable}
	if !o.Quiet {
		errOut := o.f.IOStreams.ErrOut
		opts.Report = func(r inject.Result) { fmt.Fprintln(errOut, r.String()) }
	}
	stream := inject.NewStream(cfg, out, opts)
	for _, p := range paths {
		if err := o.injectFile(ctx, stream, p); err != nil {
			return err
		}
	}
	return out.Commit()
}

func (o *Options) injectFile(ctx context.Context, stream *inject.Stream, path string) error {
	var r io.Reader
	if path == kubeyaml.Stdin {
		r = o.f.IOStreams.In
	} else {
		f, err := os.Open(path)
		if err != nil {
			return &kubeyaml.Error{Source: path, Err: fmt.Errorf("cannot read: %w", err)}
		}
		defer f.Close()
		r = f
	}
	return stream.Inject(ctx, kubeyaml.NewReader(r, path))
}
