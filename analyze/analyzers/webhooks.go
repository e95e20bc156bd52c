package analyzers

import (
	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

// webhookAnalyzer checks Istio's injection and validation webhooks.
type webhookAnalyzer struct{}

func (webhookAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "webhooks",
		Description: "Checks Istio's webhook configurations: each webhook has a client config whose Service exists",
		Codes:       []string{"IST0139"},
		Inputs:      []analyze.GroupKind{analyze.KindMutatingHook, analyze.KindValidatingHook, analyze.KindService},
	}
}

func isIstioWebhook(o *analyze.Object) bool {
	if _, ok := o.Labels[meshapi.LabelRevision]; ok {
		return true
	}
	return o.Labels["app"] == "sidecar-injector" || o.Labels["app"] == meshapi.ControlPlane || o.Name == meshapi.InjectorWebhook || o.Name == meshapi.DefaultValidatorWebhook
}

func (webhookAnalyzer) Analyze(c *analyze.Context) {
	for _, gk := range []analyze.GroupKind{analyze.KindMutatingHook, analyze.KindValidatingHook} {
		for _, o := range c.Store.List(gk) {
			if !isIstioWebhook(o) {
				continue
			}
			hooks, _ := o.Get("webhooks").([]any)
			for i, h := range hooks {
				hm := mapOf(h)
				name, _ := hm["name"].(string)
				cc := mapOf(hm["clientConfig"])
				field := idx("webhooks", i) + ".clientConfig"
				svc := mapOf(cc["service"])
				url, _ := cc["url"].(string)
				switch {
				case svc == nil && url == "":
					c.Report("IST0139", o, field, "Webhook %s has neither a service nor a url", name)
				case svc != nil:
					ns, _ := svc["namespace"].(string)
					sname, _ := svc["name"].(string)
					if c.Store.Get(analyze.KindService, ns, sname) == nil && c.Store.Complete(analyze.KindService, ns) && len(c.Store.InNamespace(analyze.KindService, ns)) > 0 {
						c.Report("IST0139", o, field+".service", "Webhook %s refers to service %s/%s, which does not exist", name, ns, sname)
					}
				}
				if gk == analyze.KindMutatingHook && len(mapOf(hm["namespaceSelector"])) == 0 && len(mapOf(hm["objectSelector"])) == 0 {
					c.Report("IST0139", o, idx("webhooks", i), "Webhook %s selects every namespace and object: it would inject the control plane and kube-system too", name)
				}
			}
		}
	}
}
