package profiles

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// APIVersion and Kind of the IstioOperator input format.
const (
	APIVersion = "install.istio.io/v1alpha1"
	Kind       = "IstioOperator"
)

// IstioOperator is the install configuration: Istio's IstioOperator format (install.istio.io/v1alpha1).
type IstioOperator struct {
	APIVersion string     `json:"apiVersion,omitempty"`
	Kind       string     `json:"kind,omitempty"`
	Metadata   ObjectMeta `json:"metadata,omitempty"`
	Spec       Spec       `json:"spec,omitempty"`
}

// ObjectMeta is the part of Kubernetes' object metadata an IstioOperator uses.
type ObjectMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec is what to install.
type Spec struct {
	// Profile is the base profile the spec overlays; "default" when empty.
	Profile string `json:"profile,omitempty"`
	// Hub and Tag name the images: <hub>/meshd:<tag>.
	Hub string `json:"hub,omitempty"`
	Tag string `json:"tag,omitempty"`
	// Namespace is the mesh's namespace, istio-system by default.
	Namespace string `json:"namespace,omitempty"`
	// Revision installs a control plane side by side with others (canary).
	Revision string `json:"revision,omitempty"`
	// CompatibilityVersion is accepted for Istio compatibility; meshctl has no older behaviour to emulate.
	CompatibilityVersion string         `json:"compatibilityVersion,omitempty"`
	MeshConfig           map[string]any `json:"meshConfig,omitempty"`
	Components           *Components    `json:"components,omitempty"`
	// Values are the charts' values, validated against the charts' values.yaml.
	Values map[string]any `json:"values,omitempty"`
	// UnvalidatedValues are merged into Values without validation, for keys a custom chart reads.
	UnvalidatedValues map[string]any `json:"unvalidatedValues,omitempty"`
}

// Components are the parts of the mesh.
type Components struct {
	Base            *Component          `json:"base,omitempty"`
	Pilot           *Component          `json:"pilot,omitempty"`
	Cni             *Component          `json:"cni,omitempty"`
	Ztunnel         *Component          `json:"ztunnel,omitempty"`
	IngressGateways []*GatewayComponent `json:"ingressGateways,omitempty"`
	EgressGateways  []*GatewayComponent `json:"egressGateways,omitempty"`
}

// Component is one part of the mesh with its Kubernetes settings.
type Component struct {
	Enabled   *bool             `json:"enabled,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Hub       string            `json:"hub,omitempty"`
	Tag       string            `json:"tag,omitempty"`
	Label     map[string]string `json:"label,omitempty"`
	K8s       *K8s              `json:"k8s,omitempty"`
}

// GatewayComponent is an ingress or egress gateway; several may be installed under different names.
type GatewayComponent struct {
	Name      string            `json:"name,omitempty"`
	Enabled   *bool             `json:"enabled,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Hub       string            `json:"hub,omitempty"`
	Tag       string            `json:"tag,omitempty"`
	Label     map[string]string `json:"label,omitempty"`
	K8s       *K8s              `json:"k8s,omitempty"`
}

// K8s are the Kubernetes settings of a component's workload, as in Istio's KubernetesResourcesSpec.
type K8s struct {
	Affinity            *corev1.Affinity                           `json:"affinity,omitempty"`
	Env                 []corev1.EnvVar                            `json:"env,omitempty"`
	HpaSpec             *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpaSpec,omitempty"`
	ImagePullPolicy     corev1.PullPolicy                          `json:"imagePullPolicy,omitempty"`
	NodeSelector        map[string]string                          `json:"nodeSelector,omitempty"`
	PodDisruptionBudget *PodDisruptionBudgetSpec                   `json:"podDisruptionBudget,omitempty"`
	PodAnnotations      map[string]string                          `json:"podAnnotations,omitempty"`
	PriorityClassName   string                                     `json:"priorityClassName,omitempty"`
	ReadinessProbe      *corev1.Probe                              `json:"readinessProbe,omitempty"`
	ReplicaCount        *int32                                     `json:"replicaCount,omitempty"`
	Resources           *corev1.ResourceRequirements               `json:"resources,omitempty"`
	Service             *corev1.ServiceSpec                        `json:"service,omitempty"`
	Strategy            *appsv1.DeploymentStrategy                 `json:"strategy,omitempty"`
	Tolerations         []corev1.Toleration                        `json:"tolerations,omitempty"`
	ServiceAnnotations  map[string]string                          `json:"serviceAnnotations,omitempty"`
	SecurityContext     *corev1.PodSecurityContext                 `json:"securityContext,omitempty"`
	Volumes             []corev1.Volume                            `json:"volumes,omitempty"`
	VolumeMounts        []corev1.VolumeMount                       `json:"volumeMounts,omitempty"`
	Overlays            []Overlay                                  `json:"overlays,omitempty"`
}

// PodDisruptionBudgetSpec is the part of a PDB's spec a component may set.
type PodDisruptionBudgetSpec struct {
	MinAvailable   *intstr.IntOrString `json:"minAvailable,omitempty"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// Overlay patches one rendered object: Istio's k8s.overlays.
type Overlay struct {
	APIVersion string  `json:"apiVersion,omitempty"`
	Kind       string  `json:"kind"`
	Name       string  `json:"name"`
	Patches    []Patch `json:"patches,omitempty"`
}

// Patch sets (or, without a value, removes) the field at Path, in Istio's path syntax:
// spec.template.spec.containers.[name:discovery].args[1].
type Patch struct {
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}
