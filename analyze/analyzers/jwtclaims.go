package analyzers

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"

	"github.com/meshctl/meshctl/analyze"
)

// jwtClaimAnalyzer finds JWT-claim routing at gateways that no RequestAuthentication makes possible.
type jwtClaimAnalyzer struct{}

func (jwtClaimAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "virtualservice.jwtclaims",
		Description: "Finds VirtualServices routing on JWT claims at gateways whose pods no RequestAuthentication applies to",
		Codes:       []string{"IST0149"},
		Inputs:      append([]analyze.GroupKind{analyze.KindVirtualService, analyze.KindGateway, analyze.KindRequestAuthentication}, analyze.WorkloadKinds...),
	}
}

func (jwtClaimAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range virtualServices(c) {
		vs := o.Spec.(*networking.VirtualService)
		var key, field string
		for i, r := range vs.Http {
			for j, m := range r.Match {
				for h := range m.Headers {
					if strings.HasPrefix(h, "@request.auth.claims") {
						key, field = h, idx(idx("spec.http", i)+".match", j)+".headers"
					}
				}
			}
		}
		if key == "" {
			continue
		}
		for _, g := range vs.Gateways {
			if g == "mesh" {
				continue
			}
			ns, name := gatewayRef(g, o.Namespace)
			gw := c.Store.Get(analyze.KindGateway, ns, name)
			if gw == nil || gw.Spec == nil {
				continue
			}
			pods, _ := gatewayPods(c, gw)
			for _, w := range pods {
				if !requestAuthnApplies(c, w) {
					c.Report("IST0149", o, field, "The virtual service uses the JWT claim based routing (key: %s) but found no request authentication for the gateway (%s) pod (%s). The request authentication must first be applied for the gateway pods to validate the JWT token and make the claims available for routing.", key, ns+"/"+name, w.Object.Namespace+"/"+w.Object.Name)
					break
				}
			}
		}
	}
}

func requestAuthnApplies(c *analyze.Context, w *analyze.Workload) bool {
	for _, ns := range []string{w.Object.Namespace, c.RootNamespace} {
		for _, o := range c.Store.InNamespace(analyze.KindRequestAuthentication, ns) {
			ra, ok := o.Spec.(*security.RequestAuthentication)
			if !ok {
				continue
			}
			sel := ra.GetSelector().GetMatchLabels()
			if len(sel) == 0 && ra.TargetRef == nil && len(ra.TargetRefs) == 0 || len(sel) > 0 && analyze.Matches(sel, w.Labels) {
				return true
			}
		}
	}
	return false
}
