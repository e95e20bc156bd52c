package model

import (
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/meshctl/meshctl/meshapi"
)

// Node labels that give an endpoint its locality, as Istio reads them.
const (
	labelRegion  = "topology.kubernetes.io/region"
	labelZone    = "topology.kubernetes.io/zone"
	labelSubZone = "topology.istio.io/subzone"
)

// service converts a Kubernetes Service; ExternalName services have no endpoints to route to and
// are kept as DNS services.
func service(s *corev1.Service, domain string) *Service {
	out := &Service{
		Hostname: s.Name + "." + s.Namespace + ".svc." + domain,
		Name:     s.Name, Namespace: s.Namespace,
		Selector: s.Spec.Selector,
	}
	if v := exportTo(&s.ObjectMeta); v != "" {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out.ExportTo = append(out.ExportTo, e)
			}
		}
	}
	for _, ip := range s.Spec.ClusterIPs {
		if ip != "" && ip != corev1.ClusterIPNone {
			out.Addresses = append(out.Addresses, ip)
		}
	}
	if len(out.Addresses) == 0 && s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone {
		out.Addresses = []string{s.Spec.ClusterIP}
	}
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		out.Resolution, out.External = ResolveDNS, true
	}
	for _, p := range s.Spec.Ports {
		if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
			continue // the proxy handles TCP only
		}
		app := ""
		if p.AppProtocol != nil {
			app = *p.AppProtocol
		}
		port := Port{Name: p.Name, Port: uint32(p.Port),
			Protocol: meshapi.ProtocolOf(meshapi.ServicePort{Name: p.Name, AppProtocol: app, Protocol: string(p.Protocol)})}
		switch {
		case p.TargetPort.StrVal != "":
			port.TargetPortName = p.TargetPort.StrVal
		case p.TargetPort.IntVal != 0:
			port.TargetPort = uint32(p.TargetPort.IntVal)
		default:
			port.TargetPort = uint32(p.Port)
		}
		out.Ports = append(out.Ports, port)
	}
	return out
}

// slice is the part of an EndpointSlice the model keeps.
type slice struct {
	liteMeta
	service, namespace string
	ports              *sharedMap[uint32]
	endpoints          []sliceEndpoint
}

type sliceEndpoint struct {
	addresses []string
	ready     bool
	pod, node string
	zone      string
}

func (w *world) endpointSlice(es *discoveryv1.EndpointSlice) *slice {
	out := &slice{service: es.Labels[discoveryv1.LabelServiceName], namespace: es.Namespace}
	if es.AddressType == discoveryv1.AddressTypeFQDN {
		return out
	}
	ports := map[string]uint32{}
	for _, p := range es.Ports {
		if p.Port == nil || (p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP) {
			continue
		}
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		ports[name] = uint32(*p.Port)
	}
	out.ports = w.ports.intern(ports)
	for _, e := range es.Endpoints {
		se := sliceEndpoint{addresses: e.Addresses, ready: e.Conditions.Ready == nil || *e.Conditions.Ready}
		if e.TargetRef != nil && e.TargetRef.Kind == "Pod" {
			se.pod = e.TargetRef.Name
		}
		if e.NodeName != nil {
			se.node = *e.NodeName
		}
		if e.Zone != nil {
			se.zone = *e.Zone
		}
		out.endpoints = append(out.endpoints, se)
	}
	return out
}

// pod is what the model keeps of a Pod: its labels (subsets) and where it runs.
type pod struct {
	liteMeta
	labels *sharedMap[string]
	ip     string
	node   string
}

func (w *world) podInfo(p *corev1.Pod) *pod {
	return &pod{liteMeta: liteMetaOf(&p.ObjectMeta), labels: w.labels.intern(p.Labels), ip: p.Status.PodIP, node: p.Spec.NodeName}
}

// samePod: nothing the model keeps of the pod changed (its status and other fields are not kept).
func samePod(a, b *pod) bool {
	return a.ip == b.ip && a.node == b.node && maps.Equal(a.labels.get(), b.labels.get())
}

func nodeLocality(n *corev1.Node) Locality {
	return Locality{Region: n.Labels[labelRegion], Zone: n.Labels[labelZone], SubZone: n.Labels[labelSubZone]}
}
