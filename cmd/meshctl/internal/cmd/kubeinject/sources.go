package kubeinject

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/cmd/internal/buildinfo"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/cluster"
	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/profiles"
)

// input is one of the injector's three inputs and where it lives in the control plane's ConfigMaps.
type input struct {
	flag, file string
	configMap  string // "istio-sidecar-injector" or "istio", before the revision suffix
	key        string
	src        inject.Source
	set        bool
}

// loadConfig gathers the three inputs: files first, then the cluster, then the built-in defaults.
func (o *Options) loadConfig(ctx context.Context) (*inject.Config, inject.PodOptions, error) {
	inputs := []*input{
		{flag: "--injectConfigFile", file: o.InjectConfigFile, configMap: "istio-sidecar-injector", key: "config"},
		{flag: "--valuesFile", file: o.ValuesFile, configMap: "istio-sidecar-injector", key: "values"},
		{flag: "--meshConfigFile", file: o.MeshConfigFile, configMap: "istio", key: "mesh"},
	}
	missing := false
	for _, in := range inputs {
		if in.file == "" {
			missing = true
			continue
		}
		if err := in.readFile(); err != nil {
			return nil, inject.PodOptions{}, err
		}
	}
	var podOpts inject.PodOptions
	if missing {
		offline := o.Offline
		if !offline && !o.f.HasKubeconfig() {
			offline = true
			if !o.Quiet {
				fmt.Fprintln(o.f.IOStreams.ErrOut, "no kubeconfig found: using meshctl's built-in injection defaults (as with --offline)")
			}
		}
		var err error
		if offline {
			err = o.fromDefaults(inputs)
		} else {
			podOpts, err = o.fromCluster(ctx, inputs)
		}
		if err != nil {
			return nil, podOpts, err
		}
	}
	cfg, err := inject.Load(inputs[0].src, inputs[1].src, inputs[2].src)
	return cfg, podOpts, err
}

// readFile reads a flag's file: the ConfigMap key's text, or a whole ConfigMap holding that key (what
// `kubectl get configmap -o yaml` prints).
func (in *input) readFile() error {
	data, err := os.ReadFile(in.file)
	if err != nil {
		return &kubeyaml.Error{Source: in.file, Err: fmt.Errorf("%s: cannot read: %w", in.flag, err)}
	}
	in.set = true
	in.src = inject.Source{Name: in.file, Text: string(data), Line: 1}
	doc := &kubeyaml.Document{Source: in.file, Line: 1, Raw: data}
	objs, err := doc.ObjectValues()
	if err != nil || len(objs) != 1 || objs[0].Value["kind"] != "ConfigMap" {
		return nil // not a ConfigMap: the text itself; its own parser reports what is wrong with it
	}
	cm := objs[0]
	dataMap, _ := cm.Value["data"].(map[string]any)
	text, ok := dataMap[in.key].(string)
	if !ok {
		return kubeyaml.Errorf(in.file, cm.LineOf("data"), "data."+in.key, "%s: the ConfigMap has no key %q", in.flag, in.key)
	}
	// A block scalar's text starts on the line after its key.
	in.src = inject.Source{Name: in.file, Text: text, Line: cm.LineOf("data."+in.key) + 1}
	return nil
}

// fromDefaults fills the missing inputs from the charts built into meshctl, rendered as `manifest
// generate` renders the default profile. It never opens a network connection.
func (o *Options) fromDefaults(inputs []*input) error {
	var sets []string
	if o.Revision != "" {
		sets = append(sets, "revision="+o.Revision)
	}
	defaults, err := render.InjectionDefaults(profiles.Input{Sets: sets, Charts: render.EmbeddedCharts(), DefaultTag: buildinfo.Version})
	if err != nil {
		return fmt.Errorf("render the built-in injection defaults: %w", err)
	}
	texts := map[string]string{"config": defaults.Config, "values": defaults.Values, "mesh": defaults.Mesh}
	for _, in := range inputs {
		if !in.set {
			in.src = inject.Source{Name: "built-in " + in.configMap + suffix(o.Revision) + " " + in.key, Text: texts[in.key], Line: 1}
		}
	}
	return nil
}

// fromCluster fills the missing inputs from the control plane's ConfigMaps, and learns the cluster's
// Kubernetes version (native sidecars need 1.29). Everything is bounded by ClusterTimeout.
func (o *Options) fromCluster(ctx context.Context, inputs []*input) (inject.PodOptions, error) {
	var podOpts inject.PodOptions
	cfg, err := o.f.RESTConfig()
	if err != nil {
		return podOpts, fmt.Errorf("%w\nuse --offline to inject with meshctl's built-in defaults", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = o.ClusterTimeout
	dialer := &net.Dialer{Timeout: o.ClusterTimeout}
	cfg.Dial = dialer.DialContext
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return podOpts, fmt.Errorf("client for %s: %w", o.f.KubeconfigDescription(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.ClusterTimeout)
	defer cancel()

	ns := o.f.IstioNamespace
	cms := map[string]*corev1.ConfigMap{}
	for _, in := range inputs {
		if in.set {
			continue
		}
		name := in.configMap + suffix(o.Revision)
		cm, ok := cms[name]
		if !ok {
			cm, err = client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return podOpts, o.clusterError(ns, name, err)
			}
			cms[name] = cm
		}
		text, ok := cm.Data[in.key]
		if !ok {
			return podOpts, fmt.Errorf("ConfigMap %s/%s has no key %q; pass %s instead", ns, name, in.key, in.flag)
		}
		in.src = inject.Source{Name: fmt.Sprintf("ConfigMap %s/%s key %s", ns, name, in.key), Text: text, Line: 1}
	}
	if v, err := client.Discovery().ServerVersion(); err == nil {
		podOpts.KubernetesMinor = minorVersion(v.Minor)
	}
	cluster.WarnAboutSkew(ctx, o.f)
	return podOpts, nil
}

// clusterError explains a failed ConfigMap read: the mesh is not installed, or the cluster is not there.
func (o *Options) clusterError(ns, name string, err error) error {
	switch {
	case apierrors.IsNotFound(err):
		hint := "is the mesh installed"
		if o.Revision != "" {
			hint += " with revision " + o.Revision
		}
		return fmt.Errorf("ConfigMap %s/%s not found in the cluster of %s: %s? Use --offline to inject with meshctl's built-in defaults",
			ns, name, o.f.KubeconfigDescription(), hint)
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		return fmt.Errorf("cannot read ConfigMap %s/%s with %s: %w\nuse --offline, or --injectConfigFile, --valuesFile and --meshConfigFile",
			ns, name, o.f.KubeconfigDescription(), err)
	case isTimeout(err):
		return fmt.Errorf("cannot reach the cluster of %s: no answer within %s: %w\nuse --offline to inject with meshctl's built-in defaults",
			o.f.KubeconfigDescription(), o.ClusterTimeout, err)
	case isNetError(err):
		return fmt.Errorf("cannot reach the cluster of %s: %w\nuse --offline to inject with meshctl's built-in defaults",
			o.f.KubeconfigDescription(), err)
	}
	return fmt.Errorf("read ConfigMap %s/%s with %s: %w\nuse --offline to inject with meshctl's built-in defaults", ns, name, o.f.KubeconfigDescription(), err)
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

func suffix(revision string) string {
	if revision == "" {
		return ""
	}
	return "-" + revision
}

// minorVersion reads a server's minor version such as "29" or "29+".
func minorVersion(s string) int {
	n, _ := strconv.Atoi(strings.TrimRight(s, "+"))
	return n
}
