package model

import (
	"time"

	"google.golang.org/protobuf/proto"
	meshconfig "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"

	"github.com/meshctl/meshctl/meshapi"
)

// Change says what moved: the kinds and namespaces of the changed objects. EndpointsOnly means only
// endpoints changed (EndpointSlices, the labels or addresses of Pods, WorkloadEntries' addresses):
// the server pushes EDS only.
type Change struct {
	Kinds         []string
	Namespaces    []string
	EndpointsOnly bool
}

// The kinds Change names.
const (
	KindService         = "Service"
	KindEndpointSlice   = "EndpointSlice"
	KindPod             = "Pod"
	KindNode            = "Node"
	KindNamespace       = "Namespace"
	KindMeshConfig      = "MeshConfig"
	KindVirtualService  = "VirtualService"
	KindDestinationRule = "DestinationRule"
	KindGateway         = "Gateway"
	KindServiceEntry    = "ServiceEntry"
	KindWorkloadEntry   = "WorkloadEntry"
	KindSidecar         = "Sidecar"
	// KindPeerAuthentication is security.istio.io's: the workloads' inbound mTLS mode.
	KindPeerAuthentication = "PeerAuthentication"
	// The other two security.istio.io kinds: RBAC and jwt_authn of the workloads they select.
	KindAuthorizationPolicy   = "AuthorizationPolicy"
	KindRequestAuthentication = "RequestAuthentication"
	// KindSecret is a Kubernetes Secret holding TLS material: gateways' credentials (SDS).
	KindSecret = "Secret"
)

// Config is one Istio object: its identity and its spec (istio.io/api), never modified once stored.
type Config[T proto.Message] struct {
	Name, Namespace string
	Labels          map[string]string
	Created         time.Time
	Spec            T
}

// Resolution is how a proxy finds a service's endpoints.
type Resolution int

const (
	// ResolveEDS: the endpoints are known (Kubernetes endpoints, ServiceEntry STATIC): EDS.
	ResolveEDS Resolution = iota
	// ResolveDNS: the proxy resolves the endpoints' hostnames (ServiceEntry DNS).
	ResolveDNS
	// ResolvePassthrough: the connection goes where the client sent it (ServiceEntry NONE).
	ResolvePassthrough
)

// Service is a Kubernetes Service or one host of a ServiceEntry.
type Service struct {
	Hostname        string // FQDN: name.namespace.svc.cluster.local, or the ServiceEntry's host
	Name, Namespace string
	Addresses       []string // cluster IPs, or the ServiceEntry's addresses; none: headless
	Ports           []Port
	// ExportTo is the networking.istio.io/exportTo annotation or the ServiceEntry's exportTo; empty:
	// the mesh's default.
	ExportTo   []string
	Selector   map[string]string // pods (and WorkloadEntries) that back the service; nil: none
	Resolution Resolution
	External   bool // ServiceEntry MESH_EXTERNAL
	// FromServiceEntry: Kubernetes Services win over ServiceEntries of the same host.
	FromServiceEntry bool
}

// Port is one port of a Service.
type Port struct {
	Name     string
	Port     uint32
	Protocol meshapi.Protocol // meshapi.ProtocolOf; "" is left to detection
	// TargetPort is the number the endpoints listen on when it is a number; TargetPortName when the
	// Service names a container port.
	TargetPort     uint32
	TargetPortName string
}

// Locality is where an endpoint runs (its node's topology labels).
type Locality struct{ Region, Zone, SubZone string }

// Endpoint is one address of a service.
type Endpoint struct {
	Address string
	// Ports maps a service port name to the endpoint's port; a missing name means the service port's
	// target port (or its number).
	Ports map[string]uint32
	// ExactPorts: Ports lists every port the endpoint serves (an EndpointSlice's); otherwise a port
	// it does not name is served on the service port's target port.
	ExactPorts bool
	Labels     map[string]string // the workload's labels, for DestinationRule subsets
	Locality   Locality
	Weight     uint32 // 0: 1
	Ready      bool
}

// Snapshot is the model at one moment. Nothing in it is ever modified: translation reads it from
// many goroutines without locks, and a new one replaces it.
type Snapshot struct {
	Version       uint64
	Mesh          *meshconfig.MeshConfig
	ClusterDomain string

	// Services sorted by hostname then namespace.
	Services   []*Service
	byHost     map[string][]*Service
	endpoints  map[*Service][]*Endpoint
	Namespaces map[string]map[string]string // name → labels

	VirtualServices  []*Config[*networking.VirtualService]
	DestinationRules []*Config[*networking.DestinationRule]
	Gateways         []*Config[*networking.Gateway]
	ServiceEntries   []*Config[*networking.ServiceEntry]
	WorkloadEntries  []*Config[*networking.WorkloadEntry]
	Sidecars         []*Config[*networking.Sidecar]
	// PeerAuthentications are sorted by namespace, then name.
	PeerAuthentications []*Config[*security.PeerAuthentication]

	AuthorizationPolicies  []*Config[*security.AuthorizationPolicy]
	RequestAuthentications []*Config[*security.RequestAuthentication]
	// JWKS are the key sets meshd fetched for RequestAuthentication jwksUris, by URI (JSON). A URI
	// not fetched (yet) is missing.
	JWKS map[string]string
	// Credentials are the Secrets holding TLS material (Gateway credentialName), by
	// "namespace/name". Translation reads them only outside ConfigMemo: a Secret's change keeps the
	// configuration memo (Store.apply).
	Credentials map[string]*Credential

	memo memo
	// config is shared with the previous snapshot when only endpoints changed since.
	config *memo
}

// ServicesByHost are the services of a hostname, oldest namespace first (a Kubernetes Service first).
func (s *Snapshot) ServicesByHost(host string) []*Service { return s.byHost[host] }

// Endpoints are a service's endpoints, sorted by address.
func (s *Snapshot) Endpoints(svc *Service) []*Endpoint { return s.endpoints[svc] }

// RootNamespace is the mesh's config root namespace (Sidecars there apply mesh-wide).
func (s *Snapshot) RootNamespace() string {
	if r := s.Mesh.GetRootNamespace(); r != "" {
		return r
	}
	return meshapi.DefaultNamespace
}
