package analyzers

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/analyze"
)

// upgradeAnalyzer finds resources a changed default affects when the cluster's control plane is an Istio
// release older than the change: moving to meshd, which behaves as current Istio, changes how they work.
// The cluster says which release runs: the control plane's image tag, or the compatibilityVersion its
// values keep.
type upgradeAnalyzer struct{}

func (upgradeAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "upgrade.compatibility",
		Description: "Finds resources whose behaviour a default changed since the cluster's Istio release changes (from the control plane's image or compatibilityVersion)",
		Codes:       []string{"IST0168", "IST0169"},
		Inputs:      []analyze.GroupKind{analyze.KindDeployment, analyze.KindConfigMap, analyze.KindDestinationRule, analyze.KindService},
	}
}

// behaviourChange is a default Istio changed in a release, and the resources it applies to.
type behaviourChange struct {
	setting, release, what string
	// certain: the resource works differently (IST0169); otherwise it may (IST0168).
	certain bool
	// affects returns the fields of o the change applies to.
	affects func(o *analyze.Object) []string
}

// behaviourChanges are the changes of default behaviour Istio's upgrade notes give, from 1.20 on.
var behaviourChanges = []behaviourChange{
	{"ENABLE_AUTO_SNI", "1.20", "previously, no SNI would be set; now it will be automatically set", false,
		clientTLSWhere(func(t *networking.ClientTLSSettings) bool { return t.Sni == "" })},
	{"VERIFY_CERTIFICATE_AT_CLIENT", "1.20", "previously, the server certificate was not verified without caCertificates; now it is verified against the system's root certificates", false,
		clientTLSWhere(func(t *networking.ClientTLSSettings) bool {
			return t.CaCertificates == "" && t.CredentialName == "" && !t.GetInsecureSkipVerify().GetValue()
		})},
	{"ENABLE_EXTERNAL_NAME_ALIAS", "1.21", "previously, an ExternalName Service was a service of its own with the ports it lists; now it is an alias of its external name and its ports are ignored", true,
		func(o *analyze.Object) []string {
			if o.GroupKind == analyze.KindService && o.Get("spec.type") == "ExternalName" {
				return []string{"spec.type"}
			}
			return nil
		}},
}

// clientTLSWhere returns the TLS settings of a DestinationRule (whole, per port, per subset) that
// originate TLS and meet cond.
func clientTLSWhere(cond func(*networking.ClientTLSSettings) bool) func(o *analyze.Object) []string {
	return func(o *analyze.Object) []string {
		dr, ok := o.Spec.(*networking.DestinationRule)
		if !ok {
			return nil
		}
		var out []string
		check := func(path string, tp *networking.TrafficPolicy) {
			originates := func(t *networking.ClientTLSSettings) bool {
				return t != nil && (t.Mode == networking.ClientTLSSettings_SIMPLE || t.Mode == networking.ClientTLSSettings_MUTUAL) && cond(t)
			}
			if originates(tp.GetTls()) {
				out = append(out, path+".tls")
			}
			for i, pl := range tp.GetPortLevelSettings() {
				if originates(pl.Tls) {
					out = append(out, idx(path+".portLevelSettings", i)+".tls")
				}
			}
		}
		check("spec.trafficPolicy", dr.TrafficPolicy)
		for i, s := range dr.Subsets {
			check(idx("spec.subsets", i)+".trafficPolicy", s.TrafficPolicy)
		}
		return out
	}
}

func (upgradeAnalyzer) Analyze(c *analyze.Context) {
	from := installedIstioRelease(c)
	if from == "" {
		return
	}
	for _, ch := range behaviourChanges {
		if !semverLess(from, ch.release) {
			continue
		}
		code := "IST0168"
		if ch.certain {
			code = "IST0169"
		}
		for _, gk := range []analyze.GroupKind{analyze.KindDestinationRule, analyze.KindService} {
			for _, o := range c.Store.List(gk) {
				for _, field := range ch.affects(o) {
					c.Report(code, o, field, "The configuration %q changed in release %s: %s.", ch.setting, ch.release, ch.what)
				}
			}
		}
	}
}

// installedIstioRelease is the Istio release whose behaviour the cluster's control plane has: the oldest of
// the compatibilityVersions its values keep and the tags of Istio's pilot images. "" when the control
// plane is meshd (or unknown): nothing older to compare with.
func installedIstioRelease(c *analyze.Context) string {
	oldest := ""
	keep := func(v string) {
		if semverParts(v) != nil && (oldest == "" || semverLess(v, oldest)) {
			oldest = v
		}
	}
	for _, in := range injectors(c) {
		if v, ok := valueAt(in.values, "compatibilityVersion").(string); ok && v != "" {
			keep(v)
		}
	}
	for _, d := range controlPlaneDeployments(c) {
		for _, ct := range containers(d.Map("spec.template.spec")) {
			img, _ := ct["image"].(string)
			repo, tag, ok := strings.Cut(img[strings.LastIndexByte(img, '/')+1:], ":")
			if ok && repo == "pilot" { // Istio's control plane image; meshd's is meshd

				keep(strings.TrimPrefix(tag, "v"))
			}
		}
	}
	return oldest
}
