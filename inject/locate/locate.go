// Package locate finds the sidecar injector's three inputs where the control plane publishes them: the
// injection templates and policy (ConfigMap istio-sidecar-injector, key config), the control plane's
// values (the same ConfigMap, key values) and the mesh configuration (ConfigMap istio, key mesh), in the
// control plane's namespace, each name with "-<revision>" appended for a revision. It reads them from a
// cluster (meshctl kube-inject; meshd reads its own) or from files holding either the key's text or the
// whole ConfigMap, and tells which Kubernetes version the injected pods will run on.
package locate

import (
	"context"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/discovery"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/meshctl/meshctl/inject"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/meshapi"
)

// Input is one of the injector's inputs: the ConfigMap and the key it is published under.
type Input struct {
	ConfigMap string
	Key       string
}

// The three inputs, in the order inject.Load takes them.
var (
	Templates = Input{ConfigMap: meshapi.InjectorConfigMap, Key: meshapi.InjectorConfigKey}
	Values    = Input{ConfigMap: meshapi.InjectorConfigMap, Key: meshapi.InjectorValuesKey}
	Mesh      = Input{ConfigMap: meshapi.MeshConfigMap, Key: meshapi.MeshConfigKey}
)

// ConfigMapName is the ConfigMap holding the input for a revision ("" for the default revision).
func (in Input) ConfigMapName(revision string) string {
	return meshapi.Revisioned(in.ConfigMap, revision)
}

// FromFile reads the input from a file holding the key's text, or a whole ConfigMap that has the key
// (what `kubectl get configmap -o yaml` prints). what names the file in errors, e.g. the flag that gave it.
func FromFile(path string, in Input, what string) (inject.Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return inject.Source{}, &kubeyaml.Error{Source: path, Err: fmt.Errorf("%s: cannot read: %w", what, err)}
	}
	doc := &kubeyaml.Document{Source: path, Line: 1, Raw: data}
	objs, err := doc.ObjectValues()
	if err != nil || len(objs) != 1 || objs[0].Value["kind"] != "ConfigMap" {
		// Not a ConfigMap: the text itself, whose own parser reports what is wrong with it.
		return inject.Source{Name: path, Text: string(data), Line: 1}, nil
	}
	cm := objs[0]
	dataMap, _ := cm.Value["data"].(map[string]any)
	text, ok := dataMap[in.Key].(string)
	if !ok {
		return inject.Source{}, kubeyaml.Errorf(path, cm.LineOf("data"), "data."+in.Key, "%s: the ConfigMap has no key %q", what, in.Key)
	}
	// A block scalar's text starts on the line after its key.
	return inject.Source{Name: path, Text: text, Line: cm.LineOf("data."+in.Key) + 1}, nil
}

// ConfigMapError is a ConfigMap that could not be read; Err is the API server's or the network's error
// (apierrors.IsNotFound tells a control plane that is not installed).
type ConfigMapError struct {
	Namespace, Name string
	Err             error
}

func (e *ConfigMapError) Error() string {
	return fmt.Sprintf("read ConfigMap %s/%s: %v", e.Namespace, e.Name, e.Err)
}

func (e *ConfigMapError) Unwrap() error { return e.Err }

// MissingKeyError is a ConfigMap without the key an input is published under.
type MissingKeyError struct {
	Namespace, Name, Key string
}

func (e *MissingKeyError) Error() string {
	return fmt.Sprintf("ConfigMap %s/%s has no key %q", e.Namespace, e.Name, e.Key)
}

// FromCluster reads inputs from the control plane's ConfigMaps in namespace, reading each ConfigMap once.
// ctx bounds the reads.
func FromCluster(ctx context.Context, client corev1client.ConfigMapsGetter, namespace, revision string, inputs ...Input) (map[Input]inject.Source, error) {
	read := map[string]map[string]string{}
	out := make(map[Input]inject.Source, len(inputs))
	for _, in := range inputs {
		name := in.ConfigMapName(revision)
		data, ok := read[name]
		if !ok {
			cm, err := client.ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return nil, &ConfigMapError{Namespace: namespace, Name: name, Err: err}
			}
			data = cm.Data
			read[name] = data
		}
		text, ok := data[in.Key]
		if !ok {
			return nil, &MissingKeyError{Namespace: namespace, Name: name, Key: in.Key}
		}
		out[in] = inject.Source{Name: fmt.Sprintf("ConfigMap %s/%s key %s", namespace, name, in.Key), Text: text, Line: 1}
	}
	return out, nil
}

// PodOptions are what injection needs to know of the cluster its pods run on: the Kubernetes minor
// version (native sidecars need 1.29). An unknown version is 0, as offline.
func PodOptions(client discovery.ServerVersionInterface) inject.PodOptions {
	info, err := client.ServerVersion()
	if err != nil {
		return inject.PodOptions{}
	}
	v, err := version.ParseGeneric(info.GitVersion)
	if err != nil {
		return inject.PodOptions{}
	}
	return inject.PodOptions{KubernetesMinor: int(v.Minor())}
}
