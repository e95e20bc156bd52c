package analyze

import (
	"slices"
	"sort"
	"strings"

	"istio.io/api/annotation"
)

// DefaultDomain is the cluster's DNS suffix for Services.
const DefaultDomain = "svc.cluster.local"

// Workload is a set of pods the input describes: a Pod, or the pod template of a Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job or CronJob.
type Workload struct {
	Object *Object
	// Labels and Annotations are the pods'; PodSpec is the pods' spec; Path is PodSpec's field path.
	Labels, Annotations map[string]string
	PodSpec             map[string]any
	Path                string
}

// Service is a Kubernetes Service with its host name.
type Service struct {
	Object   *Object
	Host     string // name.namespace.svc.cluster.local
	Selector map[string]string
	Ports    []ServicePort
	// ExportTo is the networking.istio.io/exportTo annotation, split; nil exports everywhere.
	ExportTo []string
}

// HasPort reports whether the Service has a port numbered p.
func (s *Service) HasPort(p int64) bool {
	return slices.ContainsFunc(s.Ports, func(sp ServicePort) bool { return sp.Port == p })
}

// ServicePort is one port of a Service.
type ServicePort struct {
	Name, Protocol, AppProtocol string
	Port                        int64
	TargetPort                  any // int64, string or nil
}

// Index holds lookups that several analyzers share, built once per run.
type Index struct {
	store *Store
	// workloads by namespace, and by namespace and "key=value" label, for selector matching.
	workloads      map[string][]*Workload
	workloadsByLbl map[string]map[string][]*Workload
	services       map[string]*Service // by host
	servicesByNS   map[string][]*Service
	seHosts        map[string][]*Object // exact ServiceEntry hosts
	seWildcards    []seWildcard
	// servicesByLbl indexes Services by namespace and one "key=value" of their selector.
	servicesByLbl map[string]map[string][]*Service
	anyNS         map[string][]*Workload // SelectAnyNamespace results by selector
}

type seWildcard struct {
	suffix string // ".example.com" for "*.example.com"
	obj    *Object
}

func newIndex(s *Store) *Index {
	ix := &Index{store: s, workloads: map[string][]*Workload{}, workloadsByLbl: map[string]map[string][]*Workload{},
		services: map[string]*Service{}, servicesByNS: map[string][]*Service{}, seHosts: map[string][]*Object{},
		servicesByLbl: map[string]map[string][]*Service{}, anyNS: map[string][]*Workload{}}
	for _, gk := range WorkloadKinds {
		for _, o := range s.List(gk) {
			if w := workloadOf(o); w != nil {
				ix.workloads[o.Namespace] = append(ix.workloads[o.Namespace], w)
				byLbl := ix.workloadsByLbl[o.Namespace]
				if byLbl == nil {
					byLbl = map[string][]*Workload{}
					ix.workloadsByLbl[o.Namespace] = byLbl
				}
				for k, v := range w.Labels {
					byLbl[k+"="+v] = append(byLbl[k+"="+v], w)
				}
			}
		}
	}
	for _, o := range s.List(KindService) {
		svc := &Service{Object: o, Host: o.Name + "." + o.Namespace + "." + DefaultDomain, Selector: o.StringMap("spec.selector")}
		if v, ok := o.Annotations[annotation.NetworkingExportTo.Name]; ok {
			for _, e := range strings.Split(v, ",") {
				svc.ExportTo = append(svc.ExportTo, strings.TrimSpace(e))
			}
		}
		ports, _ := o.Get("spec.ports").([]any)
		for _, p := range ports {
			pm, _ := p.(map[string]any)
			sp := ServicePort{TargetPort: pm["targetPort"]}
			sp.Name, _ = pm["name"].(string)
			sp.Protocol, _ = pm["protocol"].(string)
			sp.AppProtocol, _ = pm["appProtocol"].(string)
			sp.Port, _ = pm["port"].(int64)
			svc.Ports = append(svc.Ports, sp)
		}
		ix.services[svc.Host] = svc
		ix.servicesByNS[o.Namespace] = append(ix.servicesByNS[o.Namespace], svc)
		if k := firstLabel(svc.Selector); k != "" {
			if ix.servicesByLbl[o.Namespace] == nil {
				ix.servicesByLbl[o.Namespace] = map[string][]*Service{}
			}
			ix.servicesByLbl[o.Namespace][k] = append(ix.servicesByLbl[o.Namespace][k], svc)
		}
	}
	for _, o := range s.List(KindServiceEntry) {
		hosts, _ := o.Get("spec.hosts").([]any)
		for _, h := range hosts {
			host, _ := h.(string)
			if strings.HasPrefix(host, "*") {
				ix.seWildcards = append(ix.seWildcards, seWildcard{strings.TrimPrefix(host, "*"), o})
			} else if host != "" {
				ix.seHosts[host] = append(ix.seHosts[host], o)
			}
		}
	}
	return ix
}

func workloadOf(o *Object) *Workload {
	path := "spec.template"
	switch o.GroupKind {
	case KindPod:
		return &Workload{Object: o, Labels: o.Labels, Annotations: o.Annotations, PodSpec: o.Map("spec"), Path: "spec"}
	case KindCronJob:
		path = "spec.jobTemplate.spec.template"
	}
	return &Workload{Object: o, Labels: o.StringMap(path + ".metadata.labels"), Annotations: o.StringMap(path + ".metadata.annotations"),
		PodSpec: o.Map(path + ".spec"), Path: path + ".spec"}
}

// Workloads returns the workloads of a namespace.
func (ix *Index) Workloads(ns string) []*Workload { return ix.workloads[ns] }

// HasWorkloadInput reports whether selectors in ns can be judged: the input holds workloads there, or the
// cluster's workloads of ns were read. A repository of Istio configuration alone says nothing about pods.
func (ix *Index) HasWorkloadInput(ns string) bool {
	if len(ix.workloads[ns]) > 0 {
		return true
	}
	return !ix.store.allRead && ix.store.Complete(KindPod, ns)
}

// Select returns the workloads of ns whose labels include selector; an empty selector selects all.
func (ix *Index) Select(ns string, selector map[string]string) []*Workload {
	if len(selector) == 0 {
		return ix.workloads[ns]
	}
	// Start from the smallest candidate set of one label.
	var cands []*Workload
	first := true
	for k, v := range selector {
		c := ix.workloadsByLbl[ns][k+"="+v]
		if first || len(c) < len(cands) {
			cands, first = c, false
		}
	}
	var out []*Workload
	for _, w := range cands {
		if Matches(selector, w.Labels) {
			out = append(out, w)
		}
	}
	return out
}

// Matches reports whether labels include every pair of selector.
func Matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// SelectAnyNamespace returns workloads in any namespace matching selector (gateway selectors).
func (ix *Index) SelectAnyNamespace(selector map[string]string) []*Workload {
	key := LabelString(selector)
	if out, ok := ix.anyNS[key]; ok {
		return out
	}
	var out []*Workload
	defer func() { ix.anyNS[key] = out }()
	for _, ns := range sortedNS(ix.workloads) {
		out = append(out, ix.Select(ns, selector)...)
	}
	return out
}

func sortedNS[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Service returns the Service with a host name, or nil.
func (ix *Index) Service(host string) *Service { return ix.services[host] }

// ServicesIn returns the Services of a namespace.
func (ix *Index) ServicesIn(ns string) []*Service { return ix.servicesByNS[ns] }

// ServicesSelecting returns the Services of w's namespace whose selector matches w.
func (ix *Index) ServicesSelecting(w *Workload) []*Service {
	var out []*Service
	byLbl := ix.servicesByLbl[w.Object.Namespace]
	for _, k := range sortedLabels(w.Labels) {
		for _, s := range byLbl[k] {
			if Matches(s.Selector, w.Labels) {
				out = append(out, s)
			}
		}
	}
	return out
}

// firstLabel is the smallest "key=value" of a selector: each Service is indexed under one of its pairs.
func firstLabel(sel map[string]string) string {
	first := ""
	for k, v := range sel {
		if p := k + "=" + v; first == "" || p < first {
			first = p
		}
	}
	return first
}

func sortedLabels(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// HasServiceInput reports whether host references can be judged: the input has Services or ServiceEntries
// (or they were read from the cluster).
func (ix *Index) HasServiceInput() bool {
	return len(ix.services) > 0 || len(ix.seHosts) > 0 || len(ix.seWildcards) > 0 ||
		!ix.store.allRead && ix.store.Complete(KindService, "")
}

// HostKnown reports whether a fully qualified host is a Service or a ServiceEntry host.
func (ix *Index) HostKnown(host string) bool {
	if ix.services[host] != nil || len(ix.seHosts[host]) > 0 {
		return true
	}
	if strings.HasPrefix(host, "*") { // a wildcard host matches if any known host falls under it
		suffix := strings.TrimPrefix(host, "*")
		for h := range ix.services {
			if strings.HasSuffix(h, suffix) {
				return true
			}
		}
		for h := range ix.seHosts {
			if strings.HasSuffix(h, suffix) {
				return true
			}
		}
	}
	for _, w := range ix.seWildcards {
		if strings.HasSuffix(host, w.suffix) {
			return true
		}
	}
	return false
}

// HostVisible reports whether a known host is exported to namespace ns: a Service by its
// networking.istio.io/exportTo annotation, a ServiceEntry by its exportTo.
func (ix *Index) HostVisible(host, ns string) bool {
	if svc := ix.services[host]; svc != nil && ExportedTo(svc.ExportTo, svc.Object.Namespace, ns) {
		return true
	}
	for _, o := range ix.seHosts[host] {
		if ExportedTo(stringList(o.Get("spec.exportTo")), o.Namespace, ns) {
			return true
		}
	}
	for _, w := range ix.seWildcards {
		if strings.HasSuffix(host, w.suffix) && ExportedTo(stringList(w.obj.Get("spec.exportTo")), w.obj.Namespace, ns) {
			return true
		}
	}
	return false
}

// ExportedTo reports whether an exportTo list of an object of namespace owner makes it visible in ns:
// empty or "*" everywhere, "." its own namespace, "~" nowhere, else the namespaces listed.
func ExportedTo(exportTo []string, owner, ns string) bool {
	if len(exportTo) == 0 {
		return true
	}
	for _, e := range exportTo {
		if e == "*" || e == ns || e == "." && owner == ns {
			return true
		}
	}
	return false
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// FQDN turns a host as written in a resource of namespace ns into the name Istio resolves it to:
// "reviews" → reviews.ns.svc.cluster.local, "reviews.other.svc" → reviews.other.svc.cluster.local.
func FQDN(host, ns string) string {
	if host == "" || strings.HasPrefix(host, "*") && !strings.Contains(host, ".") {
		return host
	}
	switch parts := strings.Count(host, "."); {
	case parts == 0:
		return host + "." + ns + "." + DefaultDomain
	case strings.HasSuffix(host, ".svc"):
		return host + ".cluster.local"
	}
	return host
}

// Resolve returns the host a reference means and whether it is known; "name.namespace" references are
// accepted for Services as Kubernetes DNS accepts them.
func (ix *Index) Resolve(host, ns string) (string, bool) {
	fq := FQDN(host, ns)
	if ix.HostKnown(fq) {
		return fq, true
	}
	if strings.Count(host, ".") == 1 && !strings.HasPrefix(host, "*") {
		if alt := host + "." + DefaultDomain; ix.services[alt] != nil {
			return alt, true
		}
	}
	return fq, false
}

// LabelString prints a selector as a=b,c=d in key order.
func LabelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + m[k])
	}
	return b.String()
}
