package analyzers

import (
	"slices"
	"strings"

	"istio.io/api/annotation"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

// istioDomains are the annotation prefixes Istio owns: an unknown annotation there is likely a typo.
var istioDomains = []string{"istio.io/", ".istio.io/"}

// annotationAnalyzer checks Istio annotations against the list istio.io/api publishes.
type annotationAnalyzer struct{}

func (annotationAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "annotations",
		Description: "Checks Istio annotations: known, on the right kind of resource, not deprecated or alpha, with a valid value",
		Codes:       []string{"IST0107", "IST0108", "IST0125", "IST0135", "IST0136"},
		Inputs:      append([]analyze.GroupKind{analyze.KindNamespace, analyze.KindService, analyze.KindGateway, analyze.KindServiceEntry, analyze.KindWorkloadEntry, analyze.KindAuthorizationPolicy}, analyze.WorkloadKinds...),
	}
}

// annotated is a set of annotations and the kind of resource (in istio.io/api's terms) they are on.
type annotated struct {
	o           *analyze.Object
	annotations map[string]string
	path        string
	kind        string
}

func (annotationAnalyzer) Analyze(c *analyze.Context) {
	known := map[string]*annotation.Instance{}
	for _, a := range annotation.AllResourceAnnotations() {
		known[a.Name] = a
	}
	var sets []annotated
	for _, gk := range []analyze.GroupKind{analyze.KindNamespace, analyze.KindService, analyze.KindGateway, analyze.KindServiceEntry, analyze.KindWorkloadEntry, analyze.KindAuthorizationPolicy, analyze.KindPod} {
		for _, o := range c.Store.List(gk) {
			sets = append(sets, annotated{o, o.Annotations, "metadata.annotations", o.Kind})
		}
	}
	for _, ns := range c.Store.Namespaces(analyze.WorkloadKinds...) {
		for _, w := range c.Index().Workloads(ns) {
			if w.Object.GroupKind == analyze.KindPod {
				continue
			}
			sets = append(sets, annotated{w.Object, w.Object.Annotations, "metadata.annotations", w.Object.Kind})
			sets = append(sets, annotated{w.Object, w.Annotations, strings.TrimSuffix(w.Path, ".spec") + ".metadata.annotations", "Pod"})
		}
	}
	for _, s := range sets {
		for _, name := range sortedKeys(s.annotations) {
			if !slices.ContainsFunc(istioDomains, func(d string) bool { return strings.Contains(name, d) }) {
				continue
			}
			field := s.path + `["` + name + `"]`
			a := known[name]
			if a == nil {
				c.Report("IST0108", s.o, field, "Unknown annotation: %s", name)
				continue
			}
			if !appliesTo(a, s.kind) {
				c.Report("IST0107", s.o, field, "Misplaced annotation: %s can only be applied to %s", name, resourceNames(a))
				continue
			}
			if a.Deprecated {
				c.Report("IST0135", s.o, field, "Annotation %q has been deprecated and may not work in future Istio versions.", name)
			} else if a.FeatureStatus == annotation.Alpha && !a.Hidden {
				c.Report("IST0136", s.o, field, "Annotation %q is part of an alpha-phase feature and may be incompletely supported.", name)
			}
			if err := meshapi.ValidateAnnotation(name, s.annotations[name]); err != nil {
				c.Report("IST0125", s.o, field, "Invalid annotation %s: %v", name, err)
			}
		}
	}
}

func appliesTo(a *annotation.Instance, kind string) bool {
	for _, r := range a.Resources {
		if r == annotation.Any || r.String() == kind {
			return true
		}
	}
	return false
}

func resourceNames(a *annotation.Instance) string {
	var names []string
	for _, r := range a.Resources {
		names = append(names, r.String())
	}
	return strings.Join(names, ", ")
}
