package analyzers

import (
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"

	"github.com/meshctl/meshctl/analyze"
)

func destinationRules(c *analyze.Context) []*analyze.Object {
	var out []*analyze.Object
	for _, o := range c.Store.List(analyze.KindDestinationRule) {
		if _, ok := o.Spec.(*networking.DestinationRule); ok {
			out = append(out, o)
		}
	}
	return out
}

// drHostAnalyzer checks that a DestinationRule's host exists and that its subsets select pods.
type drHostAnalyzer struct{}

func (drHostAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "destinationrule.hosts",
		Description: "Checks that DestinationRule hosts match a Service or ServiceEntry and that subsets select pods of the Service",
		Codes:       []string{"IST0174", "IST0173"},
		Inputs:      append([]analyze.GroupKind{analyze.KindDestinationRule, analyze.KindService, analyze.KindServiceEntry}, analyze.WorkloadKinds...),
	}
}

func (drHostAnalyzer) Analyze(c *analyze.Context) {
	ix := c.Index()
	for _, o := range destinationRules(c) {
		dr := o.Spec.(*networking.DestinationRule)
		if dr.Host == "" {
			continue
		}
		fq, known := ix.Resolve(dr.Host, o.Namespace)
		if !known && ix.HasServiceInput() {
			c.Report("IST0174", o, "spec.host", "The host %s defined in the DestinationRule does not match any services in the mesh.", dr.Host)
			continue
		}
		svc := ix.Service(fq)
		if svc == nil || len(svc.Selector) == 0 || !ix.HasWorkloadInput(svc.Object.Namespace) {
			continue
		}
		pods := ix.Select(svc.Object.Namespace, svc.Selector)
		for i, s := range dr.Subsets {
			if len(s.Labels) == 0 {
				continue
			}
			found := false
			for _, w := range pods {
				if analyze.Matches(s.Labels, w.Labels) {
					found = true
					break
				}
			}
			if !found {
				c.Report("IST0173", o, idx("spec.subsets", i), "The Subset %s defined in the DestinationRule does not select any pods, which may lead to 503 UH (NoHealthyUpstream).", s.Name)
			}
		}
	}
}

// drTLSAnalyzer checks client TLS settings: server verification, and TLS turned off towards strict mTLS.
type drTLSAnalyzer struct{}

func (drTLSAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "destinationrule.tls",
		Description: "Finds TLS origination without server certificate verification, and TLS disabled towards workloads that require mutual TLS",
		Codes:       []string{"IST0128", "IST0129", "IST0113"},
		Inputs:      append([]analyze.GroupKind{analyze.KindDestinationRule, analyze.KindService, analyze.KindPeerAuthentication}, analyze.WorkloadKinds...),
	}
}

func unverified(t *networking.ClientTLSSettings) bool {
	return t != nil && (t.Mode == networking.ClientTLSSettings_SIMPLE || t.Mode == networking.ClientTLSSettings_MUTUAL) &&
		t.CaCertificates == "" && t.CredentialName == "" && !t.GetInsecureSkipVerify().GetValue()
}

func (drTLSAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range destinationRules(c) {
		dr := o.Spec.(*networking.DestinationRule)
		policies := []struct {
			path string
			tp   *networking.TrafficPolicy
		}{{"spec.trafficPolicy", dr.TrafficPolicy}}
		for i, s := range dr.Subsets {
			policies = append(policies, struct {
				path string
				tp   *networking.TrafficPolicy
			}{idx("spec.subsets", i) + ".trafficPolicy", s.TrafficPolicy})
		}
		for _, p := range policies {
			if p.tp == nil {
				continue
			}
			if unverified(p.tp.Tls) {
				c.Report("IST0128", o, p.path+".tls", "DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s", o.Name, o.Namespace, p.tp.Tls.Mode, dr.Host)
			}
			for i, pl := range p.tp.PortLevelSettings {
				if unverified(pl.Tls) && pl.Port != nil {
					c.Report("IST0129", o, idx(p.path+".portLevelSettings", i)+".tls", "DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s at port %d", o.Name, o.Namespace, pl.Tls.Mode, dr.Host, pl.Port.Number)
				}
			}
		}
		if t := dr.GetTrafficPolicy().GetTls(); t != nil && t.Mode == networking.ClientTLSSettings_DISABLE {
			if pa := strictPolicyFor(c, dr.Host, o.Namespace); pa != nil {
				c.Report("IST0113", o, "spec.trafficPolicy.tls.mode", "A DestinationRule and Policy are in conflict with regards to mTLS for host %s. The DestinationRule %q specifies that mTLS must be false but the Policy object %q specifies STRICT.", analyze.FQDN(dr.Host, o.Namespace), o.Name, pa.Namespace+"/"+pa.Name)
			}
		}
	}
}

// strictPolicyFor returns the PeerAuthentication that makes the host's workloads require mTLS, if one does.
func strictPolicyFor(c *analyze.Context, host, ns string) *analyze.Object {
	ix := c.Index()
	fq, _ := ix.Resolve(host, ns)
	svc := ix.Service(fq)
	if svc == nil || len(svc.Selector) == 0 {
		return nil
	}
	for _, w := range ix.Select(svc.Object.Namespace, svc.Selector) {
		if pa := effectivePeerAuthentication(c, w); pa != nil {
			if p := pa.Spec.(*security.PeerAuthentication); p.GetMtls().GetMode() == security.PeerAuthentication_MutualTLS_STRICT {
				return pa
			}
		}
	}
	return nil
}

// effectivePeerAuthentication is the PeerAuthentication that applies to a workload: a matching selector in
// its namespace, else its namespace's selector-less one, else the root namespace's.
func effectivePeerAuthentication(c *analyze.Context, w *analyze.Workload) *analyze.Object {
	var nsWide *analyze.Object
	for _, o := range c.Store.InNamespace(analyze.KindPeerAuthentication, w.Object.Namespace) {
		p, ok := o.Spec.(*security.PeerAuthentication)
		if !ok {
			continue
		}
		if sel := p.GetSelector().GetMatchLabels(); len(sel) > 0 {
			if analyze.Matches(sel, w.Labels) && p.GetMtls().GetMode() != security.PeerAuthentication_MutualTLS_UNSET {
				return o
			}
		} else if nsWide == nil && p.GetMtls().GetMode() != security.PeerAuthentication_MutualTLS_UNSET {
			nsWide = o
		}
	}
	if nsWide != nil {
		return nsWide
	}
	for _, o := range c.Store.InNamespace(analyze.KindPeerAuthentication, c.RootNamespace) {
		if p, ok := o.Spec.(*security.PeerAuthentication); ok && len(p.GetSelector().GetMatchLabels()) == 0 {
			return o
		}
	}
	return nil
}
