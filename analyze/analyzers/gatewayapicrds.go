package analyzers

import (
	"slices"
	"strconv"
	"strings"

	"github.com/meshctl/meshctl/analyze"
)

// gatewayAPICRDAnalyzer checks the installed Gateway API CRDs against the versions the mesh reads.
type gatewayAPICRDAnalyzer struct{}

func (gatewayAPICRDAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "gatewayapi.crds",
		Description: "Checks that the Gateway API CRDs serve the API versions and are at the bundle versions the mesh needs",
		Codes:       []string{"IST0156", "IST0172", "IST0176"},
		Inputs:      []analyze.GroupKind{analyze.KindCRD},
	}
}

// gatewayAPIRequirements are, per CRD, the oldest API version the mesh reads (IST0156), the version future
// releases will need (IST0172), and the oldest bundle release whose schema the mesh processes (IST0176).
var gatewayAPIRequirements = map[string]struct{ minVersion, futureVersion, minBundle string }{
	"gateways." + analyze.GatewayAPIGroup:        {"v1beta1", "v1", "v1.0.0"},
	"gatewayclasses." + analyze.GatewayAPIGroup:  {"v1beta1", "v1", "v1.0.0"},
	"httproutes." + analyze.GatewayAPIGroup:      {"v1beta1", "v1", "v1.0.0"},
	"referencegrants." + analyze.GatewayAPIGroup: {"v1beta1", "", "v1.0.0"},
	"grpcroutes." + analyze.GatewayAPIGroup:      {"", "v1", "v1.1.0"},
	"tcproutes." + analyze.GatewayAPIGroup:       {"", "", "v1.0.0"},
	"tlsroutes." + analyze.GatewayAPIGroup:       {"", "", "v1.5.0"},
}

// bundleVersionAnnotation is where the Gateway API CRDs say which release they come from.
const bundleVersionAnnotation = "gateway.networking.k8s.io/bundle-version"

func (gatewayAPICRDAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range c.Store.List(analyze.KindCRD) {
		req, ok := gatewayAPIRequirements[o.Name]
		if !ok {
			continue
		}
		newest := ""
		for _, v := range listAt(o, "spec.versions") {
			name, _ := v["name"].(string)
			if served, _ := v["served"].(bool); served && apiVersionRank(name) > apiVersionRank(newest) {
				newest = name
			}
		}
		switch {
		case newest == "":
		case req.minVersion != "" && apiVersionRank(newest) < apiVersionRank(req.minVersion):
			c.Report("IST0156", o, "spec.versions", "The Gateway API CRD version %s is lower than the minimum version: %s", newest, req.minVersion)
		case req.futureVersion != "" && apiVersionRank(newest) < apiVersionRank(req.futureVersion):
			c.Report("IST0172", o, "spec.versions", "The Gateway API CRD version %s is lower than the minimum version: %s", newest, req.futureVersion)
		}
		if bundle, ok := o.Annotations[bundleVersionAnnotation]; ok && semverLess(bundle, req.minBundle) {
			c.Report("IST0176", o, `metadata.annotations["`+bundleVersionAnnotation+`"]`, "Gateway API CRD %q is at version %q but Istio requires at least %q; resources of this kind will not be processed. Upgrade the Gateway API CRDs to satisfy the minimum version.",
				o.Name, strings.TrimPrefix(bundle, "v"), strings.TrimPrefix(req.minBundle, "v"))
		}
	}
}

// apiVersionRank orders Kubernetes API versions: v1alpha1 < v1alpha2 < v1beta1 < v1 < v2alpha1 ...; ""
// is lowest.
func apiVersionRank(v string) int {
	major, rest, ok := strings.Cut(strings.TrimPrefix(v, "v"), "alpha")
	stage := 0
	if !ok {
		if major, rest, ok = strings.Cut(strings.TrimPrefix(v, "v"), "beta"); ok {
			stage = 1
		} else {
			major, rest, stage = strings.TrimPrefix(v, "v"), "0", 2
		}
	}
	m, err1 := strconv.Atoi(major)
	n, err2 := strconv.Atoi(rest)
	if v == "" || err1 != nil || err2 != nil {
		return -1
	}
	return m*10000 + stage*1000 + n
}

// semverLess compares release versions v1.2.3 (the "v" is optional); one that does not parse is not less.
func semverLess(a, b string) bool {
	pa, pb := semverParts(a), semverParts(b)
	if pa == nil || pb == nil {
		return false
	}
	return slices.Compare(pa, pb) < 0
}

func semverParts(v string) []int {
	core, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), "-")
	parts := strings.Split(core, ".")
	out := make([]int, 3)
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return nil
		}
		out[i] = n
	}
	return out
}
