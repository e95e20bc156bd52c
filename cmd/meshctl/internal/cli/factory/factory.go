// Package factory gives meshctl's commands their I/O streams and, lazily, their Kubernetes clients.
package factory

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshctl/meshctl/apiretry"
	"github.com/meshctl/meshctl/meshapi"
)

// DefaultIstioNamespace is where the mesh lives unless -i/--istioNamespace says otherwise.
const DefaultIstioNamespace = meshapi.DefaultNamespace

// Factory is handed to every command. Nothing in it touches the network until a client is asked for,
// so offline commands (manifest generate, kube-inject --offline) never open a connection.
type Factory struct {
	IOStreams      genericiooptions.IOStreams
	ConfigFlags    *genericclioptions.ConfigFlags
	IstioNamespace string
	// Browser opens url; tests replace it so that no browser is ever started.
	Browser func(url string) error
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string

	once       sync.Once
	restConfig *rest.Config
	restErr    error
}

// New returns a factory for the given streams with the defaults of a real process.
func New(streams genericiooptions.IOStreams) *Factory {
	return &Factory{
		IOStreams: streams,
		// Every client of every command retries transient API failures by apiretry's one rule.
		ConfigFlags:    genericclioptions.NewConfigFlags(true).WithDiscoveryBurst(300).WithWrapConfigFn(apiretry.WrapConfig),
		IstioNamespace: DefaultIstioNamespace,
		Browser:        OpenBrowser,
		Now:            time.Now,
		Getenv:         os.Getenv,
	}
}

// RESTConfig loads the kubeconfig once. Its error names the kubeconfig files and context that were tried.
func (f *Factory) RESTConfig() (*rest.Config, error) {
	f.once.Do(func() {
		cfg, err := f.ConfigFlags.ToRESTConfig()
		if err != nil {
			f.restErr = fmt.Errorf("no cluster reachable with %s: %w", f.KubeconfigDescription(), err)
			return
		}
		cfg.QPS, cfg.Burst = 100, 200
		f.restConfig = cfg
	})
	return f.restConfig, f.restErr
}

// KubeClient returns a typed client.
func (f *Factory) KubeClient() (kubernetes.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// DynamicClient returns a dynamic client.
func (f *Factory) DynamicClient() (dynamic.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return dynamic.NewForConfig(cfg)
}

// DiscoveryClient returns a cached discovery client.
func (f *Factory) DiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return f.ConfigFlags.ToDiscoveryClient()
}

// Namespace is -n/--namespace, else the current context's namespace, else "default".
func (f *Factory) Namespace() string {
	ns, _, err := f.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

// KubeconfigPaths are the files client-go would read, in order.
func (f *Factory) KubeconfigPaths() []string {
	if f.ConfigFlags.KubeConfig != nil && *f.ConfigFlags.KubeConfig != "" {
		return []string{*f.ConfigFlags.KubeConfig}
	}
	return clientcmd.NewDefaultClientConfigLoadingRules().Precedence
}

// HasKubeconfig reports whether any kubeconfig file exists, without opening a connection.
// Commands use it to fall back to offline mode on a machine with no cluster at all.
func (f *Factory) HasKubeconfig() bool {
	for _, p := range f.KubeconfigPaths() {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}

// KubeconfigDescription says which kubeconfig and context were used, for error messages.
func (f *Factory) KubeconfigDescription() string {
	ctx := "the current context"
	if f.ConfigFlags.Context != nil && *f.ConfigFlags.Context != "" {
		ctx = fmt.Sprintf("context %q", *f.ConfigFlags.Context)
	} else if raw, err := f.ConfigFlags.ToRawKubeConfigLoader().RawConfig(); err == nil && raw.CurrentContext != "" {
		ctx = fmt.Sprintf("context %q", raw.CurrentContext)
	}
	return fmt.Sprintf("kubeconfig %s and %s", strings.Join(f.KubeconfigPaths(), ":"), ctx)
}
