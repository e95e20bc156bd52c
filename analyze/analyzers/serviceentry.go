package analyzers

import (
	"fmt"
	"slices"
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

// serviceEntryProtocolAnalyzer finds ServiceEntries that give one host and port different protocols.
type serviceEntryProtocolAnalyzer struct{}

func (serviceEntryProtocolAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "serviceentry.protocols",
		Description: "Finds ServiceEntries visible in one namespace that define the same host and port with different protocols",
		Codes:       []string{"IST0177"},
		Inputs:      []analyze.GroupKind{analyze.KindServiceEntry},
	}
}

func (serviceEntryProtocolAnalyzer) Analyze(c *analyze.Context) {
	type use struct {
		o        *analyze.Object
		port     int
		protocol string
	}
	byHostPort := map[string][]use{}
	for _, o := range c.Store.List(analyze.KindServiceEntry) {
		se, ok := o.Spec.(*networking.ServiceEntry)
		if !ok {
			continue
		}
		for i, p := range se.Ports {
			for _, h := range se.Hosts {
				key := fmt.Sprintf("%s|%d", strings.ToLower(h), p.Number)
				byHostPort[key] = append(byHostPort[key], use{o, i, strings.ToUpper(p.Protocol)})
			}
		}
	}
	for _, key := range sortedKeys(byHostPort) {
		uses := byHostPort[key]
		if len(uses) < 2 {
			continue
		}
		host, port, _ := strings.Cut(key, "|")
		for _, u := range uses {
			var names, protocols []string
			for _, v := range uses {
				se, other := u.o.Spec.(*networking.ServiceEntry), v.o.Spec.(*networking.ServiceEntry)
				if v.o != u.o && !seenTogether(se.ExportTo, u.o.Namespace, other.ExportTo, v.o.Namespace) {
					continue
				}
				if n := v.o.Namespace + "/" + v.o.Name; !slices.Contains(names, n) {
					names = append(names, n)
				}
				if v.protocol != "" && !slices.Contains(protocols, v.protocol) {
					protocols = append(protocols, v.protocol)
				}
			}
			if len(protocols) > 1 {
				slices.Sort(protocols)
				c.Report("IST0177", u.o, idx("spec.ports", u.port)+".protocol", "Multiple ServiceEntries (%s) define the same host %q and port %s with conflicting protocols (%s).", strings.Join(names, ", "), host, port, strings.Join(protocols, ", "))
			}
		}
	}
}
