package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/analyze"
	"github.com/meshctl/meshctl/meshapi"
)

// multiclusterServiceAnalyzer compares the Services of this cluster with those of the same name and
// namespace in the other clusters of the mesh, which the mesh merges into one.
type multiclusterServiceAnalyzer struct{}

func (multiclusterServiceAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "multicluster.services",
		Description: "Finds Services that differ between the clusters of a multicluster mesh (type, ports, headless); needs other clusters' input",
		Codes:       []string{"IST0170"},
		Inputs:      []analyze.GroupKind{analyze.KindService},
	}
}

// serviceShape is what must agree across clusters.
type serviceShape struct {
	kind     string
	headless bool
	ports    string
}

func shapeOf(o *analyze.Object) serviceShape {
	s := serviceShape{kind: "ClusterIP"}
	if t, _ := o.Get("spec.type").(string); t != "" {
		s.kind = t
	}
	s.headless = o.Get("spec.clusterIP") == "None"
	var ports []string
	list, _ := o.Get("spec.ports").([]any)
	for _, p := range list {
		pm := mapOf(p)
		proto, _ := pm["protocol"].(string)
		if proto == "" {
			proto = "TCP"
		}
		ports = append(ports, fmt.Sprintf("%v/%v/%s/%v", pm["name"], pm["port"], proto, pm["appProtocol"]))
	}
	slices.Sort(ports)
	s.ports = strings.Join(ports, ",")
	return s
}

func (multiclusterServiceAnalyzer) Analyze(c *analyze.Context) {
	if len(c.Remotes) == 0 {
		return
	}
	for _, o := range c.Store.List(analyze.KindService) {
		if meshapi.IsSystemNamespace(o.Namespace) {
			continue
		}
		mine := shapeOf(o)
		clusters := []string{c.ClusterName}
		var differences []string
		for _, r := range c.Remotes {
			other := r.Store.Get(analyze.KindService, o.Namespace, o.Name)
			if other == nil {
				continue
			}
			clusters = append(clusters, r.Name)
			theirs := shapeOf(other)
			for _, d := range []struct {
				differs bool
				what    string
			}{
				{mine.kind != theirs.kind, "service type is inconsistent"},
				{mine.ports != theirs.ports, "service ports are inconsistent"},
				{mine.headless != theirs.headless, "service headless setting is inconsistent"},
			} {
				if d.differs && !slices.Contains(differences, d.what) {
					differences = append(differences, d.what)
				}
			}
		}
		if len(differences) > 0 {
			c.Report("IST0170", o, "spec", "The service %s in namespace %q is inconsistent across clusters %q, which can lead to undefined behaviors. The inconsistent behaviors are: %s.", o.Name, o.Namespace, clusters, strings.Join(differences, ", "))
		}
	}
}

// meshNetworksAnalyzer checks the mesh networks configuration (ConfigMap istio, key meshNetworks).
type meshNetworksAnalyzer struct{}

func (meshNetworksAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "meshnetworks",
		Description: "Checks the mesh networks configuration: each fromRegistry is a known cluster, each gateway registryServiceName a Service",
		Codes:       []string{"IST0126", "IST0101"},
		Inputs:      []analyze.GroupKind{analyze.KindConfigMap, analyze.KindSecret, analyze.KindService},
	}
}

// remoteSecretLabel marks the Secrets that give the control plane access to another cluster; their data
// keys are the clusters' IDs.
const remoteSecretLabel = "istio/multiCluster"

// meshNetworks is the part of the mesh networks configuration the analyzer reads.
type meshNetworks struct {
	Networks map[string]struct {
		Endpoints []struct {
			FromRegistry string `json:"fromRegistry"`
		} `json:"endpoints"`
		Gateways []struct {
			RegistryServiceName string `json:"registryServiceName"`
		} `json:"gateways"`
	} `json:"networks"`
}

func (meshNetworksAnalyzer) Analyze(c *analyze.Context) {
	known := map[string]bool{"Kubernetes": true, "External": true}
	for _, in := range injectors(c) {
		if id, _ := valueAt(in.values, "global.multiCluster.clusterName").(string); id != "" {
			known[id] = true
		}
	}
	for _, s := range c.Store.InNamespace(analyze.KindSecret, c.RootNamespace) {
		if s.Labels[remoteSecretLabel] != "true" {
			continue
		}
		for id := range s.Map("data") {
			known[id] = true
		}
		for id := range s.Map("stringData") {
			known[id] = true
		}
	}
	for _, o := range c.Store.InNamespace(analyze.KindConfigMap, c.RootNamespace) {
		if o.Name != meshapi.MeshConfigMap && !strings.HasPrefix(o.Name, meshapi.MeshConfigMap+"-") {
			continue
		}
		text, _ := o.Get("data.meshNetworks").(string)
		var mn meshNetworks
		if strings.TrimSpace(text) == "" || yaml.Unmarshal([]byte(text), &mn) != nil {
			continue
		}
		for _, name := range sortedKeys(mn.Networks) {
			nw := mn.Networks[name]
			for _, e := range nw.Endpoints {
				if e.FromRegistry != "" && !known[e.FromRegistry] {
					c.Report("IST0126", o, "data.meshNetworks", "Unknown service registry %s in network %s", e.FromRegistry, name)
				}
			}
			for _, g := range nw.Gateways {
				if h := g.RegistryServiceName; h != "" && c.Index().HasServiceInput() && c.Index().Service(analyze.FQDN(h, c.RootNamespace)) == nil {
					c.Report("IST0101", o, "data.meshNetworks", "Referenced registryServiceName not found: %q in network %s", h, name)
				}
			}
		}
	}
}
