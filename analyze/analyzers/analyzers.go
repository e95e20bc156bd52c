// Package analyzers holds meshctl's analyzers. All returns them; each analyzer's Metadata names the codes
// it reports and the kinds it reads.
package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshctl/meshctl/analyze"
)

// All returns every analyzer, sorted by name.
func All() []analyze.Analyzer {
	all := []analyze.Analyzer{
		schemaAnalyzer{}, metadataAnalyzer{}, apiVersionAnalyzer{},
		destinationAnalyzer{}, vsGatewayAnalyzer{}, delegateAnalyzer{}, meshHostConflictAnalyzer{}, ruleOrderAnalyzer{}, jwtClaimAnalyzer{},
		drHostAnalyzer{}, drTLSAnalyzer{},
		gatewayWorkloadAnalyzer{}, gatewayConflictAnalyzer{}, gatewayCredentialAnalyzer{},
		injectionAnalyzer{}, servicePortAnalyzer{}, deploymentServiceAnalyzer{}, uidAnalyzer{},
		selectorAnalyzer{}, policyAnalyzer{}, sidecarAnalyzer{}, telemetryAnalyzer{},
		annotationAnalyzer{}, webhookAnalyzer{}, serviceEntryAnalyzer{},
		ingressSubsetAnalyzer{}, ineffectiveSelectorAnalyzer{}, proxyImageAnalyzer{}, localhostListenerAnalyzer{}, envoyFilterAnalyzer{},
		gatewayAPIAnalyzer{}, gatewayAPICRDAnalyzer{}, conditionAnalyzer{}, multiclusterServiceAnalyzer{}, meshNetworksAnalyzer{},
		upgradeAnalyzer{}, jwksFetchAnalyzer{}, serviceEntryProtocolAnalyzer{},
	}
	slices.SortFunc(all, func(a, b analyze.Analyzer) int { return strings.Compare(a.Metadata().Name, b.Metadata().Name) })
	return all
}

// Select returns the analyzers with the given names (or name prefixes ending in "."), in All's order.
func Select(names []string) ([]analyze.Analyzer, error) {
	if len(names) == 0 {
		return All(), nil
	}
	var out []analyze.Analyzer
	for _, n := range names {
		found := false
		for _, a := range All() {
			name := a.Metadata().Name
			if name == n || strings.HasSuffix(n, ".") && strings.HasPrefix(name, n) || strings.HasPrefix(name, n+".") {
				found = true
				if !slices.ContainsFunc(out, func(x analyze.Analyzer) bool { return x.Metadata().Name == name }) {
					out = append(out, a)
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown analyzer %q (see --list-analyzers)", n)
		}
	}
	slices.SortFunc(out, func(a, b analyze.Analyzer) int { return strings.Compare(a.Metadata().Name, b.Metadata().Name) })
	return out, nil
}
