package inject

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// templateData is what injection templates see. Field names follow Istio's templates where Istio has
// one, so that templates written for Istio read naturally; docs/kube-inject.md lists them.
type templateData struct {
	// Values are the control plane chart's values (ConfigMap istio-sidecar-injector, key values).
	Values map[string]any
	// MeshConfig is the mesh configuration (ConfigMap istio, key mesh), protobuf JSON names.
	MeshConfig map[string]any
	// ProxyConfig is MeshConfig.defaultConfig with the pod's proxy.istio.io/config annotation merged over it.
	ProxyConfig map[string]any
	// ProxyConfigJSON is ProxyConfig as JSON, for the proxy's PROXY_CONFIG.
	ProxyConfigJSON string
	// ObjectMeta is the pod template's metadata: Labels, Annotations, Name, Namespace.
	ObjectMeta *metav1.ObjectMeta
	// DeploymentMeta names the workload: Name and Namespace.
	DeploymentMeta metav1.ObjectMeta
	// TypeMeta is the workload's APIVersion and Kind.
	TypeMeta metav1.TypeMeta
	// Revision is the control plane revision, "" for the default one.
	Revision string
	// ProxyImage and InitImage are the full image references to use.
	ProxyImage, InitImage string
	// NativeSidecar asks for the proxy as an init container with restartPolicy Always.
	NativeSidecar bool
	// HoldApplication asks for the application to start only once the proxy is ready.
	HoldApplication bool
	// AppContainers are the names of the pod's containers, the proxy excepted.
	AppContainers []string
	// PodPorts is the application's declared container ports as a JSON list.
	PodPorts string

	// Settings computed from the values and the pod's annotations (see settings.go).
	StatusPort                       string // status.sidecar.istio.io/port or values.global.proxy.statusPort
	InterceptionMode                 string // REDIRECT, TPROXY or NONE
	Capture                          Capture
	Readiness                        Readiness
	DiscoveryAddress                 string // the control plane's address, also the CA's
	CanonicalName, CanonicalRevision string
	ProxyResources                   map[string]any
	// TLSMode is the security.istio.io/tlsMode label: the pod's own, else "istio".
	TLSMode string
	// DefaultContainer is the application container kubectl picks: the pod's own annotation, else the
	// first application container ("" when there is none).
	DefaultContainer string
	// PrometheusMerge says whether to add the prometheus.io scrape annotations (meshConfig
	// enablePrometheusMerge, unless the pod sets prometheus.io/scrape itself).
	PrometheusMerge bool
	// Proxy log levels: annotations sidecar.istio.io/logLevel, componentLogLevel, agentLogLevel, else values.
	LogLevel, ComponentLogLevel, AgentLogLevel string
	// ClusterID, MeshID and TrustDomain are the proxy's identity metadata, with their defaults applied.
	ClusterID, MeshID, TrustDomain string
	// Owner is the workload as the proxy reports it
	// (kubernetes://apis/<apiVersion>/namespaces/<ns>/<kind>s/<name>), "" when unknown.
	Owner string

	spec      map[string]any
	typedSpec *corev1.PodSpec
}

// Spec is the pod spec as Kubernetes' type, for templates written against Istio's (.Spec.Containers).
// It is converted on first use only: meshctl's own templates do not need it.
func (d *templateData) Spec() (*corev1.PodSpec, error) {
	if d.typedSpec != nil {
		return d.typedSpec, nil
	}
	raw, err := json.Marshal(d.spec)
	if err != nil {
		return nil, err
	}
	var spec corev1.PodSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("read the pod spec: %w", err)
	}
	d.typedSpec = &spec
	return d.typedSpec, nil
}

// RawSpec is the pod spec as it was written, JSON-shaped.
func (d *templateData) RawSpec() map[string]any { return d.spec }
