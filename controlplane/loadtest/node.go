package loadtest

import (
	"fmt"
	"net/netip"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meshctl/meshctl/meshapi"
)

// SidecarNode is the node of simulated sidecar i: pod load-i in namespace ns, with an address in
// 10.200.0.0/16 and the metadata keys istiod reads from a real agent.
func SidecarNode(i int, ns, istioVersion string) (*core.Node, error) {
	ip := netip.AddrFrom4([4]byte{10, 200, byte(i >> 8), byte(i)})
	pod := fmt.Sprintf("load-%d", i)
	id := meshapi.NewNodeID(meshapi.Sidecar, ip, pod, ns, "cluster.local")
	md := meshapi.NodeMetadata{
		IstioVersion:     istioVersion,
		ClusterID:        "Kubernetes",
		Namespace:        ns,
		Name:             pod,
		WorkloadName:     "load",
		Owner:            "kubernetes://apis/apps/v1/namespaces/" + ns + "/deployments/load",
		ServiceAccount:   "default",
		Labels:           map[string]string{"app": "load", "version": "v1"},
		InstanceIPs:      ip.String(),
		InterceptionMode: "REDIRECT",
		MeshID:           "cluster.local",
	}
	meta, err := structpb.NewStruct(md.Map())
	if err != nil {
		return nil, fmt.Errorf("node metadata of %s: %w", id, err)
	}
	return &core.Node{Id: id.String(), Cluster: "load." + ns, Metadata: meta, UserAgentName: "envoy"}, nil
}
