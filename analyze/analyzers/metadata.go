package analyzers

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshctl/meshctl/analyze"
)

// metadataAnalyzer checks what every object needs: apiVersion, kind and a valid name.
type metadataAnalyzer struct{}

func (metadataAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "metadata",
		Description: "Checks that every input object has an apiVersion, a kind and a valid name",
		Codes:       []string{"MSH1002"},
	}
}

func (metadataAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range c.Store.All() {
		if !o.FromFile() {
			continue // the API server has checked what it stored
		}
		switch {
		case o.APIVersion == "":
			c.Report("MSH1002", o, "apiVersion", "apiVersion is required")
		case o.Kind == "":
			c.Report("MSH1002", o, "kind", "kind is required")
		case o.Name == "" && o.Get("metadata.generateName") == nil:
			c.Report("MSH1002", o, "metadata.name", "metadata.name is required")
		case o.Name != "":
			check := validation.IsDNS1123Subdomain
			if o.Kind == "Service" || o.Kind == "Namespace" {
				check = validation.IsDNS1123Label
			}
			if errs := check(o.Name); len(errs) > 0 {
				c.Report("MSH1002", o, "metadata.name", "%q is not a valid name: %s", o.Name, strings.Join(errs, "; "))
			}
		}
		if o.Namespace != "" {
			if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
				c.Report("MSH1002", o, "metadata.namespace", "%q is not a valid namespace: %s", o.Namespace, errs[0])
			}
		}
	}
}

// removedAPI is an API version that Kubernetes no longer serves.
type removedAPI struct {
	removedIn, replacement string
}

// removedAPIs is keyed by "group/version" or "group/version/Kind".
var removedAPIs = map[string]removedAPI{
	"admissionregistration.k8s.io/v1beta1":                            {"1.22", "admissionregistration.k8s.io/v1"},
	"apiextensions.k8s.io/v1beta1":                                    {"1.22", "apiextensions.k8s.io/v1"},
	"apiregistration.k8s.io/v1beta1":                                  {"1.22", "apiregistration.k8s.io/v1"},
	"authentication.k8s.io/v1beta1":                                   {"1.22", "authentication.k8s.io/v1"},
	"authorization.k8s.io/v1beta1":                                    {"1.22", "authorization.k8s.io/v1"},
	"certificates.k8s.io/v1beta1":                                     {"1.22", "certificates.k8s.io/v1"},
	"coordination.k8s.io/v1beta1":                                     {"1.22", "coordination.k8s.io/v1"},
	"rbac.authorization.k8s.io/v1beta1":                               {"1.22", "rbac.authorization.k8s.io/v1"},
	"scheduling.k8s.io/v1beta1":                                       {"1.22", "scheduling.k8s.io/v1"},
	"storage.k8s.io/v1beta1/CSIDriver":                                {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/CSINode":                                  {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/StorageClass":                             {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/VolumeAttachment":                         {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1/CSIStorageCapacity":                       {"1.27", "storage.k8s.io/v1"},
	"extensions/v1beta1":                                              {"1.22", "apps/v1 or networking.k8s.io/v1"},
	"networking.k8s.io/v1beta1":                                       {"1.22", "networking.k8s.io/v1"},
	"apps/v1beta1":                                                    {"1.16", "apps/v1"},
	"apps/v1beta2":                                                    {"1.16", "apps/v1"},
	"batch/v1beta1":                                                   {"1.25", "batch/v1"},
	"policy/v1beta1":                                                  {"1.25", "policy/v1"},
	"discovery.k8s.io/v1beta1":                                        {"1.25", "discovery.k8s.io/v1"},
	"events.k8s.io/v1beta1":                                           {"1.25", "events.k8s.io/v1"},
	"autoscaling/v2beta1":                                             {"1.25", "autoscaling/v2"},
	"autoscaling/v2beta2":                                             {"1.26", "autoscaling/v2"},
	"node.k8s.io/v1beta1":                                             {"1.25", "node.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta1":                            {"1.26", "flowcontrol.apiserver.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta2":                            {"1.29", "flowcontrol.apiserver.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta3":                            {"1.32", "flowcontrol.apiserver.k8s.io/v1"},
	"admissionregistration.k8s.io/v1alpha1/ValidatingAdmissionPolicy": {"1.30", "admissionregistration.k8s.io/v1"},
}

// apiVersionAnalyzer finds API versions Kubernetes removed, and Istio versions superseded by v1.
type apiVersionAnalyzer struct{}

func (apiVersionAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "apiversions",
		Description: "Finds objects using API versions that Kubernetes no longer serves, and Istio resources at versions older than v1",
		Codes:       []string{"MSH1004", "MSH1005"},
	}
}

func (apiVersionAnalyzer) Analyze(c *analyze.Context) {
	for _, o := range c.Store.All() {
		if !o.FromFile() {
			continue
		}
		r, ok := removedAPIs[o.APIVersion+"/"+o.Kind]
		if !ok {
			r, ok = removedAPIs[o.APIVersion]
		}
		if ok {
			c.Report("MSH1004", o, "apiVersion", "%s %s was removed in Kubernetes %s: use %s", o.APIVersion, o.Kind, r.removedIn, r.replacement)
			continue
		}
		if k, known := analyze.LookupKind(o.GroupKind); known && k.Spec != nil && o.Version() != k.Preferred && slices.Contains(k.Versions, o.Version()) {
			c.Report("MSH1005", o, "apiVersion", "%s %s: use %s/%s, the same schema at a stable version", o.APIVersion, o.Kind, o.Group, k.Preferred)
		}
	}
}
