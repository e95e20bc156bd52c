package analyzers

import (
	"strings"

	"github.com/meshctl/meshctl/analyze"
)

// blockedCIDRsEnv is the control plane setting that keeps JWKS fetches away from internal addresses.
const blockedCIDRsEnv = "BLOCKED_CIDRS_IN_JWKS_URIS"

// jwksFetchAnalyzer finds RequestAuthentications whose jwksUri the control plane fetches from any address.
type jwksFetchAnalyzer struct{}

func (jwksFetchAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "requestauthentication.jwks",
		Description: "Finds a control plane that fetches RequestAuthentication jwksUri from any address (no " + blockedCIDRsEnv + ")",
		Codes:       []string{"IST0175"},
		Inputs:      []analyze.GroupKind{analyze.KindDeployment, analyze.KindRequestAuthentication},
	}
}

func (jwksFetchAnalyzer) Analyze(c *analyze.Context) {
	ras := c.Store.List(analyze.KindRequestAuthentication)
	if len(ras) == 0 {
		return
	}
	names := make([]string, len(ras))
	for i, o := range ras {
		names[i] = o.Namespace + "/" + o.Name
	}
	for _, d := range controlPlaneDeployments(c) {
		if blocksCIDRs(d) {
			continue
		}
		c.Report("IST0175", d, "spec.template.spec.containers", "%s is not configured but %d RequestAuthentication resource(s) exist (%s). Consider configuring it to restrict JWKS URI fetches to trusted networks.",
			blockedCIDRsEnv, len(ras), strings.Join(names, ", "))
	}
}

func blocksCIDRs(d *analyze.Object) bool {
	for _, ct := range containers(d.Map("spec.template.spec")) {
		env, _ := ct["env"].([]any)
		for _, e := range env {
			if em := mapOf(e); em["name"] == blockedCIDRsEnv && em["value"] != "" && em["value"] != nil {
				return true
			}
		}
	}
	return false
}
