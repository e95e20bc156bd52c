package render

import (
	"encoding/json"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshctl/meshctl/profiles"
)

// instance is one chart render: a component, or one gateway of a gateway component.
type instance struct {
	component
	// gatewayName is the gateway's name for gateway components.
	gatewayName string
	namespace   string
	settings    componentSettings
}

// componentSettings are the fields shared by profiles.Component and profiles.GatewayComponent.
type componentSettings struct {
	Hub   string
	Tag   string
	Label map[string]string
	K8s   *profiles.K8s
}

// OwnerName is the install.operator.istio.io/owning-resource label value of a revision's objects and the
// name of the IstioOperator that records the install: installed-state, or installed-state-<rev>. It depends
// on the revision only, never on the IstioOperator's metadata.name, so that uninstall --revision and prune
// find every object whatever file installed it.
func OwnerName(revision string) string {
	if revision == "" || revision == "default" {
		return "installed-state"
	}
	return "installed-state-" + revision
}

// chartValues builds the values one chart is rendered with: the IstioOperator's values, the top-level
// settings (hub, tag, namespace, revision, meshConfig) and the component's Kubernetes settings at its prefix.
func chartValues(op *profiles.IstioOperator, in instance) (map[string]any, error) {
	vals, err := cloneTree(op.Spec.Values)
	if err != nil {
		return nil, err
	}
	extra, err := cloneTree(op.Spec.UnvalidatedValues)
	if err != nil {
		return nil, err
	}
	mergeInto(vals, extra)

	vals["ownerName"] = OwnerName(op.Spec.Revision)
	vals["revision"] = op.Spec.Revision
	global := child(vals, "global")
	if op.Spec.Hub != "" {
		global["hub"] = op.Spec.Hub
	}
	if op.Spec.Tag != "" {
		global["tag"] = op.Spec.Tag
	}
	if in.settings.Hub != "" {
		global["hub"] = in.settings.Hub
	}
	if in.settings.Tag != "" {
		global["tag"] = in.settings.Tag
	}
	global["istioNamespace"] = op.Spec.Namespace
	if len(op.Spec.MeshConfig) > 0 {
		mesh, err := cloneTree(op.Spec.MeshConfig)
		if err != nil {
			return nil, err
		}
		mergeInto(child(vals, "meshConfig"), mesh)
	}

	at := vals
	for _, k := range in.prefix {
		at = child(at, k)
	}
	at["enabled"] = true
	if in.gateway {
		at["name"] = in.gatewayName
		if len(in.settings.Label) > 0 {
			labels := child(at, "labels")
			for k, v := range in.settings.Label {
				labels[k] = v
			}
		}
	}
	if err := applyK8s(at, in.settings.K8s); err != nil {
		return nil, fmt.Errorf("components.%s.k8s: %w", in.name, err)
	}
	return vals, nil
}

// applyK8s maps the k8s settings that the charts take as values. The rest (strategy, probes, volumes...)
// become patches of the rendered workload; see patches.go.
func applyK8s(at map[string]any, k *profiles.K8s) error {
	if k == nil {
		return nil
	}
	set := func(key string, v any, present bool) error {
		if !present {
			return nil
		}
		t, err := toTree(v)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		at[key] = t
		return nil
	}
	for _, s := range []struct {
		key     string
		v       any
		present bool
	}{
		{"resources", k.Resources, k.Resources != nil},
		{"replicaCount", k.ReplicaCount, k.ReplicaCount != nil},
		{"extraEnv", k.Env, len(k.Env) > 0},
		{"nodeSelector", k.NodeSelector, len(k.NodeSelector) > 0},
		{"tolerations", k.Tolerations, len(k.Tolerations) > 0},
		{"affinity", k.Affinity, k.Affinity != nil},
		{"podAnnotations", k.PodAnnotations, len(k.PodAnnotations) > 0},
		{"serviceAnnotations", k.ServiceAnnotations, len(k.ServiceAnnotations) > 0},
		{"securityContext", k.SecurityContext, k.SecurityContext != nil},
		{"service", k.Service, k.Service != nil},
		{"podDisruptionBudget", k.PodDisruptionBudget, k.PodDisruptionBudget != nil},
	} {
		if err := set(s.key, s.v, s.present); err != nil {
			return err
		}
	}
	return applyHPA(at, k.HpaSpec)
}

// applyHPA maps an hpaSpec onto the charts' autoscale values; what they cannot express is an error rather
// than silently dropped.
func applyHPA(at map[string]any, hpa *autoscalingv2.HorizontalPodAutoscalerSpec) error {
	if hpa == nil {
		return nil
	}
	at["autoscaleEnabled"] = true
	if hpa.MinReplicas != nil {
		at["autoscaleMin"] = int64(*hpa.MinReplicas)
	}
	if hpa.MaxReplicas > 0 {
		at["autoscaleMax"] = int64(hpa.MaxReplicas)
	}
	if hpa.Behavior != nil {
		return fmt.Errorf("hpaSpec.behavior: not supported; patch the HorizontalPodAutoscaler with k8s.overlays")
	}
	for i, m := range hpa.Metrics {
		r := m.Resource
		if m.Type != autoscalingv2.ResourceMetricSourceType || r == nil || r.Name != corev1.ResourceCPU ||
			r.Target.Type != autoscalingv2.UtilizationMetricType || r.Target.AverageUtilization == nil {
			return fmt.Errorf("hpaSpec.metrics[%d]: only a CPU utilization target is supported; patch the HorizontalPodAutoscaler with k8s.overlays", i)
		}
		child(at, "cpu")["targetAverageUtilization"] = int64(*r.Target.AverageUtilization)
	}
	return nil
}

func child(m map[string]any, key string) map[string]any {
	c, ok := m[key].(map[string]any)
	if !ok {
		c = map[string]any{}
		m[key] = c
	}
	return c
}

// mergeInto overlays src onto dst, maps key by key.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// toTree converts a typed value to JSON-like maps, the form chart values take.
func toTree(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func cloneTree(m map[string]any) (map[string]any, error) {
	if m == nil {
		return map[string]any{}, nil
	}
	t, err := toTree(m)
	if err != nil {
		return nil, err
	}
	return t.(map[string]any), nil
}
