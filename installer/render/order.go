package render

// Phase is a step of installation. Objects of one phase can only be applied once the previous phases are
// in place: CRDs before custom resources, namespaces before what lives in them, RBAC before the workloads
// that use it, webhooks before the workloads that their failure policy would otherwise block.
type Phase int

// Phases in install order.
const (
	PhaseCRDs Phase = iota
	PhaseNamespaces
	PhaseRBAC
	PhaseConfig
	PhaseWebhooks
	PhaseWorkloads
)

func (p Phase) String() string {
	return [...]string{"CRDs", "namespaces", "RBAC", "config", "webhooks", "workloads"}[p]
}

// kindOrder ranks kinds within the install order; kinds not listed come last, with the workloads.
var kindOrder = map[string]int{
	"CustomResourceDefinition":       0,
	"Namespace":                      10,
	"ServiceAccount":                 20,
	"ClusterRole":                    21,
	"ClusterRoleBinding":             22,
	"Role":                           23,
	"RoleBinding":                    24,
	"ConfigMap":                      30,
	"Secret":                         31,
	"MutatingWebhookConfiguration":   40,
	"ValidatingWebhookConfiguration": 41,
	"Service":                        50,
	"EndpointSlice":                  51,
	"Endpoints":                      51,
	"Deployment":                     52,
	"DaemonSet":                      53,
	"StatefulSet":                    54,
	"HorizontalPodAutoscaler":        55,
	"PodDisruptionBudget":            56,
}

// PhaseOf returns the install phase of a kind.
func PhaseOf(kind string) Phase {
	r, ok := kindOrder[kind]
	if !ok {
		return PhaseWorkloads
	}
	return Phase(r / 10)
}

func kindRank(kind string) int {
	if r, ok := kindOrder[kind]; ok {
		return r
	}
	return 99
}
