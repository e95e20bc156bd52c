package xds

import (
	"fmt"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

// The resource types, in the order a proxy asks for them (docs/xds.md).
var types = []string{resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType, resourcev3.RouteType, resourcev3.SecretType}

// State is the resources the proxy holds, by type and name, with the version of each type. It is
// replaced, never changed, once in use.
type State struct {
	Clusters  map[string]*clusterv3.Cluster
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
	Listeners map[string]*listenerv3.Listener
	Routes    map[string]*routev3.RouteConfiguration
	// Secrets are the SDS secrets meshd sent (gateways' kubernetes:// credentials), by name.
	Secrets  map[string]*tlsv3.Secret
	Versions map[string]string
	// Received says which types have had a response: the configuration is complete once clusters
	// and listeners have.
	Received map[string]bool
}

// NewState is an empty State.
func NewState() *State {
	return &State{Clusters: map[string]*clusterv3.Cluster{}, Endpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		Listeners: map[string]*listenerv3.Listener{}, Routes: map[string]*routev3.RouteConfiguration{},
		Secrets: map[string]*tlsv3.Secret{}, Versions: map[string]string{}, Received: map[string]bool{}}
}

// with is the state after a response of typ: clusters and listeners are replaced (state of the world),
// endpoints, routes and secrets are merged (meshd sends only the changed ones), and those nothing
// refers to any more are dropped.
func (s *State) with(typ, version string, resources []*anypb.Any) (*State, error) {
	n := &State{Clusters: s.Clusters, Endpoints: s.Endpoints, Listeners: s.Listeners, Routes: s.Routes,
		Secrets: s.Secrets, Versions: copyMap(s.Versions), Received: copyMap(s.Received)}
	n.Versions[typ] = version
	n.Received[typ] = true
	var err error
	switch typ {
	case resourcev3.ClusterType:
		n.Clusters = map[string]*clusterv3.Cluster{}
		err = decodeInto(n.Clusters, typ, "cluster", resources, (*clusterv3.Cluster).GetName)
	case resourcev3.ListenerType:
		n.Listeners = map[string]*listenerv3.Listener{}
		err = decodeInto(n.Listeners, typ, "listener", resources, (*listenerv3.Listener).GetName)
	case resourcev3.EndpointType:
		n.Endpoints = copyMap(s.Endpoints)
		err = decodeInto(n.Endpoints, typ, "endpoints", resources, (*endpointv3.ClusterLoadAssignment).GetClusterName)
	case resourcev3.RouteType:
		n.Routes = copyMap(s.Routes)
		err = decodeInto(n.Routes, typ, "route configuration", resources, (*routev3.RouteConfiguration).GetName)
	case resourcev3.SecretType:
		// Sent by name and in part, as routes are.
		n.Secrets = copyMap(s.Secrets)
		err = decodeInto(n.Secrets, typ, "secret", resources, (*tlsv3.Secret).GetName)
	default:
		return nil, fmt.Errorf("resource type %s is not in the contract", typ)
	}
	if err != nil {
		return nil, err
	}
	n.prune()
	return n, nil
}

// prune drops endpoints of clusters that are gone, and routes and secrets nothing names.
func (s *State) prune() {
	s.Endpoints = keepNamed(s.Endpoints, s.EDSNames())
	s.Routes = keepNamed(s.Routes, s.RDSNames())
	s.Secrets = keepNamed(s.Secrets, s.SDSNames())
}

// keepNamed is m with only the entries names lists; m itself when it holds nothing else (the
// state's maps are shared between versions: unchanged ones are not copied).
func keepNamed[V any](m map[string]V, names []string) map[string]V {
	if len(m) <= len(names) && containsAll(names, m) {
		return m
	}
	kept := make(map[string]V, len(names))
	for _, n := range names {
		if v, ok := m[n]; ok {
			kept[n] = v
		}
	}
	return kept
}

func containsAll[V any](names []string, m map[string]V) bool {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	for k := range m {
		if !set[k] {
			return false
		}
	}
	return true
}

// EDSNames are the clusters whose endpoints come over EDS: the EDS subscription.
func (s *State) EDSNames() []string {
	var out []string
	for name, c := range s.Clusters {
		if c.GetType() == clusterv3.Cluster_EDS {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// RDSNames are the route configurations the listeners' HTTP connection managers name.
func (s *State) RDSNames() []string {
	set := map[string]bool{}
	for _, l := range s.Listeners {
		chains := append([]*listenerv3.FilterChain{}, l.GetFilterChains()...)
		if d := l.GetDefaultFilterChain(); d != nil {
			chains = append(chains, d)
		}
		for _, fc := range chains {
			if name := rdsName(fc); name != "" {
				set[name] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Complete reports whether clusters and listeners arrived: what the first configuration needs.
func (s *State) Complete() bool {
	return s.Received[resourcev3.ClusterType] && s.Received[resourcev3.ListenerType]
}

// Translate turns the state into the proxy's configuration.
func (s *State) Translate() (*ir.Config, error) {
	cfg := &ir.Config{Routes: map[string]*ir.RouteConfig{}, Clusters: map[string]*ir.Cluster{}, Secrets: map[string]*ir.Secret{}}
	var versions []string
	for _, t := range types {
		if v, ok := s.Versions[t]; ok {
			versions = append(versions, t[strings.LastIndexByte(t, '.')+1:]+"="+v)
		}
	}
	cfg.Version = strings.Join(versions, " ")
	for _, name := range sortedKeys(s.Clusters) {
		c, err := cluster(s.Clusters[name], s.Endpoints)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", name, err)
		}
		cfg.Clusters[name] = c
	}
	for _, name := range sortedKeys(s.Listeners) {
		l, err := listener(s.Listeners[name])
		if err != nil {
			return nil, fmt.Errorf("listener %s: %w", name, err)
		}
		cfg.Listeners = append(cfg.Listeners, l)
	}
	for _, name := range sortedKeys(s.Secrets) {
		sec, err := secret(s.Secrets[name])
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", name, err)
		}
		cfg.Secrets[name] = sec
	}
	for _, name := range sortedKeys(s.Routes) {
		rc, err := routeConfig(s.Routes[name])
		if err != nil {
			return nil, fmt.Errorf("route configuration %s: %w", name, err)
		}
		cfg.Routes[name] = rc
	}
	return cfg, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// decodeInto decodes each resource of a response of type typ, checks it against the contract and
// puts it into `into` under its name.
func decodeInto[T any, P interface {
	*T
	proto.Message
}](into map[string]P, typ, what string, resources []*anypb.Any, name func(P) string) error {
	for _, a := range resources {
		m := P(new(T))
		if a.GetTypeUrl() != typ {
			return fmt.Errorf("%s: a %s in a response of type %s", what, a.GetTypeUrl(), typ)
		}
		if err := a.UnmarshalTo(m); err != nil {
			return fmt.Errorf("%s %s: %w", what, name(m), err)
		}
		if err := xdscontract.Check(m); err != nil {
			return fmt.Errorf("%s %s: %w", what, name(m), err)
		}
		into[name(m)] = m
	}
	return nil
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
