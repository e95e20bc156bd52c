package xds

import (
	"fmt"
	"os"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// ConfigDump renders the state as Envoy's admin /config_dump does, so tools that read Envoy's dump
// (istioctl proxy-config among them) read this one.
func ConfigDump(s *State, node *corev3.Node) ([]byte, error) {
	dump := &adminv3.ConfigDump{}
	add := func(m proto.Message) error {
		a, err := anypb.New(m)
		if err != nil {
			return err
		}
		dump.Configs = append(dump.Configs, a)
		return nil
	}
	if err := add(&adminv3.BootstrapConfigDump{Bootstrap: &bootstrapv3.Bootstrap{Node: node}}); err != nil {
		return nil, err
	}
	clusters := &adminv3.ClustersConfigDump{VersionInfo: s.Versions[resourcev3.ClusterType]}
	for _, n := range sortedKeys(s.Clusters) {
		a, err := anypb.New(s.Clusters[n])
		if err != nil {
			return nil, err
		}
		clusters.DynamicActiveClusters = append(clusters.DynamicActiveClusters, &adminv3.ClustersConfigDump_DynamicCluster{VersionInfo: clusters.VersionInfo, Cluster: a})
	}
	listeners := &adminv3.ListenersConfigDump{VersionInfo: s.Versions[resourcev3.ListenerType]}
	for _, n := range sortedKeys(s.Listeners) {
		a, err := anypb.New(s.Listeners[n])
		if err != nil {
			return nil, err
		}
		listeners.DynamicListeners = append(listeners.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{Name: n,
			ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: listeners.VersionInfo, Listener: a}})
	}
	routes := &adminv3.RoutesConfigDump{}
	for _, n := range sortedKeys(s.Routes) {
		a, err := anypb.New(s.Routes[n])
		if err != nil {
			return nil, err
		}
		routes.DynamicRouteConfigs = append(routes.DynamicRouteConfigs, &adminv3.RoutesConfigDump_DynamicRouteConfig{VersionInfo: s.Versions[resourcev3.RouteType], RouteConfig: a})
	}
	endpoints := &adminv3.EndpointsConfigDump{}
	for _, n := range sortedKeys(s.Endpoints) {
		a, err := anypb.New(s.Endpoints[n])
		if err != nil {
			return nil, err
		}
		endpoints.DynamicEndpointConfigs = append(endpoints.DynamicEndpointConfigs, &adminv3.EndpointsConfigDump_DynamicEndpointConfig{VersionInfo: s.Versions[resourcev3.EndpointType], EndpointConfig: a})
	}
	secrets := &adminv3.SecretsConfigDump{}
	for _, n := range sortedKeys(s.Secrets) {
		// Private keys are redacted, as Envoy's dump does.
		sec := proto.Clone(s.Secrets[n]).(*tlsv3.Secret)
		if c := sec.GetTlsCertificate(); c.GetPrivateKey() != nil {
			c.PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "[redacted]"}}
		}
		a, err := anypb.New(sec)
		if err != nil {
			return nil, err
		}
		secrets.DynamicActiveSecrets = append(secrets.DynamicActiveSecrets, &adminv3.SecretsConfigDump_DynamicSecret{Name: n,
			VersionInfo: s.Versions[resourcev3.SecretType], Secret: a})
	}
	for _, m := range []proto.Message{clusters, listeners, routes, endpoints, secrets} {
		if err := add(m); err != nil {
			return nil, err
		}
	}
	return protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(dump)
}

// LoadBootstrap reads a static configuration: an Envoy bootstrap (JSON or YAML-free protojson) whose
// static_resources hold listeners and clusters, under the same contract as meshd's resources. It
// runs the proxy without meshd (the benchmark, a gateway without a control plane).
func LoadBootstrap(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bs bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(b, &bs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := NewState()
	var clusters, listeners []*anypb.Any
	for _, c := range bs.GetStaticResources().GetClusters() {
		a, err := anypb.New(c)
		if err != nil {
			return nil, err
		}
		clusters = append(clusters, a)
	}
	for _, l := range bs.GetStaticResources().GetListeners() {
		a, err := anypb.New(l)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, a)
	}
	if s, err = s.with(resourcev3.ClusterType, "static", clusters); err != nil {
		return nil, fmt.Errorf("%s: static_resources.%w", path, err)
	}
	if s, err = s.with(resourcev3.ListenerType, "static", listeners); err != nil {
		return nil, fmt.Errorf("%s: static_resources.%w", path, err)
	}
	return s, nil
}
