package installer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ForeignObject is a live object that meshctl would install but that another tool installed.
type ForeignObject struct {
	Object string `json:"object"`
	// PartOf is its app.kubernetes.io/part-of label ("istio" for Istio's installs; "" when unlabelled).
	PartOf string `json:"partOf,omitempty"`
	// Managers are the field managers that wrote it (istioctl, helm, kubectl...).
	Managers []string `json:"managers,omitempty"`
}

func (f ForeignObject) String() string {
	var why []string
	if f.PartOf != "" {
		why = append(why, LabelPartOf+"="+f.PartOf)
	} else {
		why = append(why, "no "+LabelPartOf+"="+PartOfMeshctl+" label")
	}
	if len(f.Managers) > 0 {
		why = append(why, "written by "+strings.Join(f.Managers, ", "))
	}
	return fmt.Sprintf("%s (%s)", f.Object, strings.Join(why, "; "))
}

// ForeignInstallError means objects of the planned install exist and belong to another tool (usually an
// Istio install). Install refuses to take them over unless told to (Force).
type ForeignInstallError struct {
	Objects []ForeignObject
}

func (e *ForeignInstallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "an existing install from another tool: %d object(s) that meshctl would install exist and were not installed by meshctl:", len(e.Objects))
	for i, o := range e.Objects {
		if i == 8 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Objects)-8)
			break
		}
		b.WriteString("\n  " + o.String())
	}
	b.WriteString("\nUninstall the other install first (for Istio: istioctl uninstall --purge), or install with --force to take its objects over")
	return b.String()
}

// foreignObjects lists live objects of the manifest that meshctl did not install. Namespaces are exempt:
// users create istio-system themselves (kubectl create namespace) before installing into it.
func foreignObjects(objs []*object, live map[string]*unstructured.Unstructured) []ForeignObject {
	var out []ForeignObject
	for _, o := range objs {
		l := live[o.key()]
		if l == nil || o.Kind == "Namespace" || IsMeshctlOwned(l.GetLabels()) {
			continue
		}
		out = append(out, ForeignObject{Object: o.Key(), PartOf: l.GetLabels()[LabelPartOf], Managers: managers(l)})
	}
	return out
}

func managers(u *unstructured.Unstructured) []string {
	seen := map[string]bool{}
	var out []string
	for _, mf := range u.GetManagedFields() {
		if !seen[mf.Manager] {
			seen[mf.Manager] = true
			out = append(out, mf.Manager)
		}
	}
	sort.Strings(out)
	return out
}

// WebhookConflict is a mutating webhook of another tool that injects sidecars into pods, as meshctl's
// injector does: with both, pods would get two proxies, or fail to start.
type WebhookConflict struct {
	Configuration string `json:"configuration"`
	Webhook       string `json:"webhook"`
	PartOf        string `json:"partOf,omitempty"`
	Service       string `json:"service,omitempty"`
}

func (w WebhookConflict) String() string {
	s := fmt.Sprintf("MutatingWebhookConfiguration/%s webhook %s", w.Configuration, w.Webhook)
	if w.Service != "" {
		s += " (calls service " + w.Service + ")"
	}
	if w.PartOf != "" {
		s += " [" + LabelPartOf + "=" + w.PartOf + "]"
	}
	return s
}

// WebhookConflictError means another sidecar injector is installed.
type WebhookConflictError struct {
	Conflicts []WebhookConflict
}

func (e *WebhookConflictError) Error() string {
	var b strings.Builder
	b.WriteString("conflicting webhooks: another sidecar injector is installed and would inject pods as well as meshctl's:")
	for _, c := range e.Conflicts {
		b.WriteString("\n  " + c.String())
	}
	b.WriteString("\nRemove it (for Istio: istioctl uninstall --purge, or kubectl delete mutatingwebhookconfiguration NAME), or install with --force to keep both")
	return b.String()
}

// InjectorConflicts lists the mutating webhooks of other tools that inject sidecars into pods: a webhook
// named like Istio's injectors (*sidecar-injector.istio.io) or calling a service at /inject, on pod
// creation.
func (c *Clients) InjectorConflicts(ctx context.Context) ([]WebhookConflict, error) {
	list, err := c.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, wrapAPIError("list", "MutatingWebhookConfigurations", admissionregistrationv1.SchemeGroupVersion.WithResource("mutatingwebhookconfigurations"), "", err)
	}
	var out []WebhookConflict
	for _, cfg := range list.Items {
		if IsMeshctlOwned(cfg.Labels) {
			continue
		}
		for _, wh := range cfg.Webhooks {
			if !injectsPods(wh) {
				continue
			}
			conflict := WebhookConflict{Configuration: cfg.Name, Webhook: wh.Name, PartOf: cfg.Labels[LabelPartOf]}
			if svc := wh.ClientConfig.Service; svc != nil {
				conflict.Service = svc.Namespace + "/" + svc.Name
			}
			out = append(out, conflict)
		}
	}
	return out, nil
}

func injectsPods(wh admissionregistrationv1.MutatingWebhook) bool {
	onPods := false
	for _, r := range wh.Rules {
		for _, res := range r.Resources {
			if res == "pods" || res == "*" {
				onPods = true
			}
		}
	}
	if !onPods {
		return false
	}
	if strings.HasSuffix(wh.Name, "sidecar-injector.istio.io") {
		return true
	}
	if svc := wh.ClientConfig.Service; svc != nil && svc.Path != nil && *svc.Path == "/inject" {
		return true
	}
	return wh.ClientConfig.URL != nil && strings.HasSuffix(*wh.ClientConfig.URL, "/inject")
}
