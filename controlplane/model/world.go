package model

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	meshconfig "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshctl/meshctl/meshapi"
)

// world is every object the model keeps, by kind and "namespace/name", already trimmed. The Store
// changes it under its lock; build turns it into a Snapshot.
type world struct {
	domain     string
	meshCM     string // name of the mesh config's ConfigMap
	mesh       *meshconfig.MeshConfig
	services   map[string]*Service
	slices     map[string]*slice
	pods       map[string]*pod
	nodes      map[string]Locality
	namespaces map[string]map[string]string
	vs         map[string]*Config[*networking.VirtualService]
	dr         map[string]*Config[*networking.DestinationRule]
	gw         map[string]*Config[*networking.Gateway]
	se         map[string]*Config[*networking.ServiceEntry]
	seHosts    map[string][]*Service // the services of each ServiceEntry, kept with it
	we         map[string]*Config[*networking.WorkloadEntry]
	sc         map[string]*Config[*networking.Sidecar]
	pa         map[string]*Config[*security.PeerAuthentication]
	authz      map[string]*Config[*security.AuthorizationPolicy]
	reqAuthn   map[string]*Config[*security.RequestAuthentication]
	jwks       map[string]string // fetched key sets by URI
	// creds are the Secrets holding TLS material, by "namespace/name"; their bytes are the
	// informer's (trimmed) copy, never a second one.
	creds map[string]*Credential
	// credsChanged: creds changed since the last build (else the last snapshot's map is shared).
	credsChanged bool
	// labels and ports share the pods' label maps and the EndpointSlices' port maps by content.
	labels *interner[string]
	ports  *interner[uint32]
}

func newWorld(domain string) *world {
	return &world{domain: domain, meshCM: meshapi.MeshConfigMap, mesh: DefaultMeshConfig(),
		services: map[string]*Service{}, slices: map[string]*slice{}, pods: map[string]*pod{},
		nodes: map[string]Locality{}, namespaces: map[string]map[string]string{},
		vs: map[string]*Config[*networking.VirtualService]{}, dr: map[string]*Config[*networking.DestinationRule]{},
		gw: map[string]*Config[*networking.Gateway]{}, se: map[string]*Config[*networking.ServiceEntry]{},
		seHosts: map[string][]*Service{},
		we:      map[string]*Config[*networking.WorkloadEntry]{}, sc: map[string]*Config[*networking.Sidecar]{},
		pa:    map[string]*Config[*security.PeerAuthentication]{},
		authz: map[string]*Config[*security.AuthorizationPolicy]{}, reqAuthn: map[string]*Config[*security.RequestAuthentication]{},
		jwks: map[string]string{}, creds: map[string]*Credential{},
		labels: &interner[string]{}, ports: &interner[uint32]{}}
}

// DefaultMeshConfig is what meshd assumes without ConfigMap istio: Istio's defaults for the fields
// translation reads.
func DefaultMeshConfig() *meshconfig.MeshConfig {
	return &meshconfig.MeshConfig{
		RootNamespace:         meshapi.DefaultNamespace,
		OutboundTrafficPolicy: &meshconfig.MeshConfig_OutboundTrafficPolicy{Mode: meshconfig.MeshConfig_OutboundTrafficPolicy_ALLOW_ANY},
	}
}

func key(ns, name string) string { return ns + "/" + name }

// setServiceEntry stores a ServiceEntry with one Service per host.
func (w *world) setServiceEntry(c *Config[*networking.ServiceEntry]) {
	k := key(c.Namespace, c.Name)
	w.se[k] = c
	var out []*Service
	for _, h := range c.Spec.GetHosts() {
		s := &Service{Hostname: h, Name: h, Namespace: c.Namespace, Addresses: c.Spec.GetAddresses(),
			ExportTo: c.Spec.GetExportTo(), FromServiceEntry: true,
			External: c.Spec.GetLocation() == networking.ServiceEntry_MESH_EXTERNAL}
		switch c.Spec.GetResolution() {
		case networking.ServiceEntry_DNS, networking.ServiceEntry_DNS_ROUND_ROBIN:
			s.Resolution = ResolveDNS
		case networking.ServiceEntry_NONE:
			s.Resolution = ResolvePassthrough
		}
		if ws := c.Spec.GetWorkloadSelector(); ws != nil {
			s.Selector = ws.GetLabels()
		}
		for _, p := range c.Spec.GetPorts() {
			port := Port{Name: p.GetName(), Port: p.GetNumber(), TargetPort: p.GetTargetPort(),
				Protocol: meshapi.ProtocolOf(meshapi.ServicePort{Name: p.GetName(), AppProtocol: p.GetProtocol()})}
			s.Ports = append(s.Ports, port)
		}
		out = append(out, s)
	}
	w.seHosts[k] = out
}

func (w *world) deleteServiceEntry(k string) {
	delete(w.se, k)
	delete(w.seHosts, k)
}

// build makes the Snapshot of the world as it is. prev, when only endpoints changed since it was
// built, lends the new one its configuration memo.
func (w *world) build(version uint64, prev *Snapshot, endpointsOnly bool) *Snapshot {
	s := &Snapshot{Version: version, config: &memo{}, Mesh: w.mesh, ClusterDomain: w.domain,
		byHost: map[string][]*Service{}, endpoints: map[*Service][]*Endpoint{}, Namespaces: maps.Clone(w.namespaces)}
	for _, svc := range w.services {
		s.Services = append(s.Services, svc)
	}
	ses := sortedConfigs(w.se)
	for _, c := range ses {
		s.Services = append(s.Services, w.seHosts[key(c.Namespace, c.Name)]...)
	}
	slices.SortStableFunc(s.Services, func(a, b *Service) int {
		return cmp.Or(strings.Compare(a.Hostname, b.Hostname), boolCmp(a.FromServiceEntry, b.FromServiceEntry), strings.Compare(a.Namespace, b.Namespace))
	})
	for _, svc := range s.Services {
		s.byHost[svc.Hostname] = append(s.byHost[svc.Hostname], svc)
	}
	s.VirtualServices = sortedConfigs(w.vs)
	s.DestinationRules = sortedConfigs(w.dr)
	s.Gateways = sortedConfigs(w.gw)
	s.ServiceEntries = ses
	s.WorkloadEntries = sortedConfigs(w.we)
	s.Sidecars = sortedConfigs(w.sc)
	s.PeerAuthentications = sortedConfigs(w.pa)
	s.AuthorizationPolicies = sortedConfigs(w.authz)
	s.RequestAuthentications = sortedConfigs(w.reqAuthn)
	s.JWKS = maps.Clone(w.jwks)
	if prev != nil && !w.credsChanged {
		s.Credentials = prev.Credentials
	} else {
		s.Credentials = maps.Clone(w.creds)
	}
	w.credsChanged = false
	w.buildEndpoints(s)
	if prev != nil && endpointsOnly {
		s.config = prev.config
	}
	return s
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// buildEndpoints gathers each service's endpoints: EndpointSlices of Kubernetes Services,
// WorkloadEntries their selectors pick, and ServiceEntries' own endpoints.
func (w *world) buildEndpoints(s *Snapshot) {
	byService := map[string]*Service{} // namespace/name of Kubernetes Services
	for k, svc := range w.services {
		byService[k] = svc
	}
	for _, sl := range w.slices {
		svc := byService[key(sl.namespace, sl.service)]
		if svc == nil {
			continue
		}
		for _, e := range sl.endpoints {
			if !e.ready {
				continue // the contract has no health status: an endpoint that is not ready is left out
			}
			var lbls map[string]string
			loc := w.nodes[e.node]
			if e.pod != "" {
				if p := w.pods[key(sl.namespace, e.pod)]; p != nil {
					lbls = p.labels.get()
					if e.node == "" {
						loc = w.nodes[p.node]
					}
				}
			}
			if e.zone != "" {
				loc.Zone = e.zone
			}
			for _, a := range e.addresses {
				s.endpoints[svc] = append(s.endpoints[svc], &Endpoint{Address: a, Ports: sl.ports.get(), ExactPorts: true, Labels: lbls, Locality: loc, Ready: true})
			}
		}
	}
	// WorkloadEntries back the Services and ServiceEntries of their namespace whose selector they match.
	wes := map[string][]*Config[*networking.WorkloadEntry]{}
	for _, we := range s.WorkloadEntries {
		wes[we.Namespace] = append(wes[we.Namespace], we)
	}
	for _, svc := range s.Services {
		if len(svc.Selector) > 0 {
			sel := labels.SelectorFromSet(svc.Selector)
			for _, we := range wes[svc.Namespace] {
				if sel.Matches(labels.Set(we.Spec.GetLabels())) {
					s.endpoints[svc] = append(s.endpoints[svc], workloadEndpoint(we.Spec))
				}
			}
			if svc.FromServiceEntry {
				for k, p := range w.pods {
					if strings.HasPrefix(k, svc.Namespace+"/") && p.ip != "" && sel.Matches(labels.Set(p.labels.get())) {
						s.endpoints[svc] = append(s.endpoints[svc], &Endpoint{Address: p.ip, Labels: p.labels.get(), Locality: w.nodes[p.node], Ready: true})
					}
				}
			}
		}
	}
	for _, c := range s.ServiceEntries {
		for _, svc := range w.seHosts[key(c.Namespace, c.Name)] {
			for _, we := range c.Spec.GetEndpoints() {
				s.endpoints[svc] = append(s.endpoints[svc], workloadEndpoint(we))
			}
		}
	}
	for svc, eps := range s.endpoints {
		slices.SortFunc(eps, func(a, b *Endpoint) int { return strings.Compare(a.Address, b.Address) })
		s.endpoints[svc] = slices.CompactFunc(eps, func(a, b *Endpoint) bool { return a.Address == b.Address })
	}
}

func workloadEndpoint(we *networking.WorkloadEntry) *Endpoint {
	e := &Endpoint{Address: we.GetAddress(), Ports: we.GetPorts(), Labels: we.GetLabels(), Weight: we.GetWeight(), Ready: true}
	parts := strings.SplitN(we.GetLocality(), "/", 3)
	for i, p := range parts {
		switch i {
		case 0:
			e.Locality.Region = p
		case 1:
			e.Locality.Zone = p
		case 2:
			e.Locality.SubZone = p
		}
	}
	return e
}

// sortedConfigs orders objects as Istio does when two conflict: oldest first, then by namespace and name.
func sortedConfigs[T proto.Message](m map[string]*Config[T]) []*Config[T] {
	out := make([]*Config[T], 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Config[T]) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	return out
}
