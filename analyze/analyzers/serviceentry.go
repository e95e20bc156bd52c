package analyzers

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/analyze"
)

// serviceEntryAnalyzer finds ServiceEntries whose TCP ports need addresses.
type serviceEntryAnalyzer struct{}

func (serviceEntryAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "serviceentry",
		Description: "Finds ServiceEntries with TCP ports and no addresses",
		Codes:       []string{"IST0134"},
		Inputs:      []analyze.GroupKind{analyze.KindServiceEntry},
	}
}

func (serviceEntryAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range c.Store.List(analyze.KindServiceEntry) {
		se, ok := o.Spec.(*networking.ServiceEntry)
		if !ok || len(se.Addresses) > 0 || se.Resolution == networking.ServiceEntry_NONE && len(se.Endpoints) == 0 {
			continue
		}
		for i, p := range se.Ports {
			if p.Protocol == "" || strings.EqualFold(p.Protocol, "TCP") {
				c.Report("IST0134", o, idx("spec.ports", i)+".protocol", "ServiceEntry addresses are required for this protocol.")
				break
			}
		}
	}
}
