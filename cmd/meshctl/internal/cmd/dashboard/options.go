package dashboard

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	lib "github.com/meshctl/meshctl/dashboard"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/factory"
)

// Options are the flags and arguments of `meshctl dashboard <name>`.
type Options struct {
	f *factory.Factory

	// Dashboard is the subcommand's entry of the registry.
	Dashboard lib.Dashboard
	// PodArg is the POD argument of controlz and proxy, as typed.
	PodArg   string
	Address  string
	port     portFlag
	Browser  bool
	Selector string

	// Set by Complete.

	// LocalPort is --port; LocalPortSet says whether the user gave it (else the dashboard's port is preferred).
	LocalPort    int
	LocalPortSet bool
	// Namespace is where the pod is looked for (see namespace.go).
	Namespace string
	// Pod is the parsed POD argument, with its namespace filled in; nil when the pod is found by selector.
	Pod *lib.PodRef
	// Selectors are tried in order when Pod is nil.
	Selectors []string
}

// Complete parses the POD argument and works out the namespace and the selectors.
func (o *Options) Complete() error {
	o.LocalPort, o.LocalPortSet = o.port.value, o.port.set
	var ref *lib.PodRef
	if o.PodArg != "" {
		r, err := lib.ParsePodRef(o.PodArg)
		if err != nil {
			return exitcode.UsageError(err)
		}
		ref = &r
	}
	o.Namespace = namespaceFor(o.Dashboard, ref, flagNamespace(o.f), o.f.IstioNamespace, o.f.Namespace)
	if ref != nil {
		ref.Namespace = o.Namespace
		o.Pod = ref
	}
	o.Selectors = o.Dashboard.Selectors
	if o.Selector != "" {
		o.Selectors = []string{o.Selector}
	}
	return nil
}

// Validate checks the flags against each other.
func (o *Options) Validate() error {
	if err := lib.ValidateAddress(o.Address); err != nil {
		return err
	}
	if o.PodArg != "" && o.Selector != "" {
		return fmt.Errorf("give either POD or --selector, not both")
	}
	if o.Pod == nil && len(o.Selectors) == 0 {
		return fmt.Errorf("%s needs a POD argument or --selector", o.Dashboard.Name)
	}
	if o.Selector != "" {
		if _, err := labels.Parse(o.Selector); err != nil {
			return fmt.Errorf("invalid --selector %q: %w", o.Selector, err)
		}
	}
	return nil
}

// Run finds the pod, forwards to it, prints the URL, opens the browser and waits for the end.
func (o *Options) Run(ctx context.Context) error {
	out, errOut := o.f.IOStreams.Out, o.f.IOStreams.ErrOut
	d := o.Dashboard
	client, err := o.f.KubeClient()
	if err != nil {
		return err
	}
	cfg, err := o.f.RESTConfig()
	if err != nil {
		return err
	}
	cluster.WarnAboutSkew(ctx, o.f)
	pod, err := o.findPod(ctx, client)
	if err != nil {
		return err
	}
	if d.SidecarContainer != "" && !lib.HasContainer(pod, d.SidecarContainer) {
		return &lib.NoSidecarError{Namespace: pod.Namespace, Name: pod.Name, Container: d.SidecarContainer}
	}
	if lib.Exposed(o.Address) {
		fmt.Fprintf(errOut, "Warning: listening on %s: %s is reachable from other machines, without authentication\n",
			o.Address, d.Title)
	}

	wanted := d.RemotePort
	if o.LocalPortSet {
		wanted = o.LocalPort
	}
	fw := &lib.Forwarder{Config: cfg, Client: client}
	sess, err := fw.Start(ctx, pod, lib.ForwardOptions{
		Address: o.Address, LocalPort: wanted, FallbackToFreePort: !o.LocalPortSet, RemotePort: d.RemotePort,
	})
	if err != nil {
		return err
	}
	if wanted != 0 && sess.LocalPort() != wanted {
		fmt.Fprintf(errOut, "Port %d is in use on %s; using port %d instead\n", wanted, o.Address, sess.LocalPort())
	}
	url := sess.URL(d.Path)
	fmt.Fprintln(out, url)
	fmt.Fprintf(errOut, "Forwarding to pod %s port %d. Press Ctrl-C to stop.\n", sess.Pod(), d.RemotePort)
	if o.Browser {
		if err := o.f.Browser(url); err != nil {
			fmt.Fprintf(errOut, "Warning: could not open a browser (%v); open %s yourself\n", err, url)
		}
	}

	err = sess.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Ctrl-C is how a dashboard is meant to end: not a failure.
		fmt.Fprintf(errOut, "Stopped forwarding to pod %s\n", sess.Pod())
		return nil
	}
	return err
}

func (o *Options) findPod(ctx context.Context, client kubernetes.Interface) (*corev1.Pod, error) {
	if o.Pod != nil {
		return lib.GetPod(ctx, client, *o.Pod)
	}
	return lib.FindPod(ctx, client, o.Namespace, o.Selectors, o.Dashboard.InstallHint)
}
