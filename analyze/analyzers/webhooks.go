package analyzers

import (
	"net"
	"net/url"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

// webhookAnalyzer checks Istio's injection and validation webhooks.
type webhookAnalyzer struct{}

func (webhookAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "webhooks",
		Description: "Checks Istio's webhook configurations: each webhook has a client config whose Service exists, or a URL of an external control plane that resolves",
		Codes:       []string{"IST0139", "IST0163", "IST0164"},
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
				rawURL, hasURL := cc["url"]
				switch {
				case svc == nil && hasURL: // a remote cluster's webhook to an external control plane
					u, _ := rawURL.(string)
					checkExternalControlPlaneURL(c, o, field+".url", name, u)
				case svc == nil:
					c.Report("IST0139", o, field, "Webhook %s has neither a service nor a url", name)
				default:
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

// checkExternalControlPlaneURL checks the address a webhook reaches an external control plane at: a host
// name that resolves (when the analysis may use the network), rather than an IP address.
func checkExternalControlPlaneURL(c *analyze.Context, o *analyze.Object, field, webhook, raw string) {
	const where = "that was provided for the webhook (%s) to reach the ingress gateway on the external control plane cluster"
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		c.Report("IST0163", o, field, "The hostname () "+where+" is blank. Traffic may not flow properly.", webhook)
		return
	case err != nil || u.Hostname() == "":
		c.Report("IST0163", o, field, "The hostname (%s) "+where+" is not a valid URL with a host. Traffic may not flow properly.", raw, webhook)
		return
	case net.ParseIP(u.Hostname()) != nil:
		c.Report("IST0164", o, field, "The address (%s) "+where+" is an IP address. This is not recommended for a production environment.", raw, webhook)
		return
	case c.LookupHost == nil:
		return
	}
	addrs, err := c.LookupHost(c.Ctx(), u.Hostname())
	switch {
	case err != nil:
		c.Report("IST0163", o, field, "The hostname (%s) "+where+" cannot be resolved via a DNS lookup. Traffic may not flow properly.", raw, webhook)
	case len(addrs) == 0:
		c.Report("IST0163", o, field, "The hostname (%s) "+where+" resolves to zero IP addresses via a DNS lookup. Traffic may not flow properly.", raw, webhook)
	}
}
