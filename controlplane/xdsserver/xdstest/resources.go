// Package xdstest builds synthetic Envoy configurations for the xDS server's tests and benchmarks.
package xdstest

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// ClusterName is synthetic cluster i's name, in Istio's outbound form.
func ClusterName(i int) string {
	return fmt.Sprintf("outbound|80||svc-%d.ns-%d.svc.cluster.local", i, i%10)
}

// Resources is n EDS clusters with 10 endpoints each, one listener whose HTTP connection manager
// names route "80", and that route with one virtual host per cluster. configVersion shows in the
// virtual hosts' domains (":vN"), endpointsVersion in the endpoints' addresses (10.N.i.j).
func Resources(n, configVersion, endpointsVersion int) map[string][]types.Resource {
	out := map[string][]types.Resource{}
	for i := range n {
		name := ClusterName(i)
		out[resource.ClusterType] = append(out[resource.ClusterType], &clusterv3.Cluster{
			Name:                 name,
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
			EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{ServiceName: name, EdsConfig: &core.ConfigSource{ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}}}},
		})
		var eps []*endpointv3.LbEndpoint
		for j := range 10 {
			eps = append(eps, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
					Address: fmt.Sprintf("10.%d.%d.%d", endpointsVersion%250, i%250, j), PortSpecifier: &core.SocketAddress_PortValue{PortValue: 8080},
				}}},
			}}})
		}
		out[resource.EndpointType] = append(out[resource.EndpointType], &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints:   []*endpointv3.LocalityLbEndpoints{{LbEndpoints: eps}},
		})
	}
	var vhosts []*routev3.VirtualHost
	for i := range n {
		vhosts = append(vhosts, &routev3.VirtualHost{
			Name:    fmt.Sprintf("svc-%d:80", i),
			Domains: []string{fmt.Sprintf("svc-%d.ns-%d.svc.cluster.local:v%d", i, i%10, configVersion)},
			Routes: []*routev3.Route{{
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: ClusterName(i)}}},
			}},
		})
	}
	out[resource.RouteType] = []types.Resource{&routev3.RouteConfiguration{Name: "80", VirtualHosts: vhosts}}
	manager, err := anypb.New(&hcm.HttpConnectionManager{
		StatPrefix:     "outbound_0.0.0.0_80",
		RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{RouteConfigName: "80", ConfigSource: &core.ConfigSource{ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}}}}},
	})
	if err != nil {
		panic(err)
	}
	out[resource.ListenerType] = []types.Resource{&listenerv3.Listener{
		Name:         "0.0.0.0_80",
		Address:      &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{Address: "0.0.0.0", PortSpecifier: &core.SocketAddress_PortValue{PortValue: 80}}}},
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: manager}}}}},
	}}
	return out
}
