package meshapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// NodeMetadata is what a proxy says about itself in the xDS node's metadata struct, under Istio's
// keys, so that one client can talk to meshd and istiod alike. Unknown keys are ignored.
type NodeMetadata struct {
	IstioVersion     string            `json:"ISTIO_VERSION,omitempty"`
	ClusterID        string            `json:"CLUSTER_ID,omitempty"`
	MeshID           string            `json:"MESH_ID,omitempty"`
	Network          string            `json:"NETWORK,omitempty"`
	Namespace        string            `json:"NAMESPACE,omitempty"`
	Name             string            `json:"NAME,omitempty"`
	WorkloadName     string            `json:"WORKLOAD_NAME,omitempty"`
	Owner            string            `json:"OWNER,omitempty"`
	ServiceAccount   string            `json:"SERVICE_ACCOUNT,omitempty"`
	NodeName         string            `json:"NODE_NAME,omitempty"`
	Labels           map[string]string `json:"LABELS,omitempty"`
	Annotations      map[string]string `json:"ANNOTATIONS,omitempty"`
	InstanceIPs      string            `json:"INSTANCE_IPS,omitempty"`
	InterceptionMode string            `json:"INTERCEPTION_MODE,omitempty"`
	AppContainers    string            `json:"APP_CONTAINERS,omitempty"`
	// PodPorts is the JSON list of the pod's container ports, as Istio's injector writes it.
	PodPorts            string    `json:"POD_PORTS,omitempty"`
	EnvoyStatusPort     FlexInt   `json:"ENVOY_STATUS_PORT,omitempty"`
	EnvoyPrometheusPort FlexInt   `json:"ENVOY_PROMETHEUS_PORT,omitempty"`
	Generator           string    `json:"GENERATOR,omitempty"`
	ProxyConfig         RawObject `json:"PROXY_CONFIG,omitempty"`
	PlatformMetadata    RawObject `json:"PLATFORM_METADATA,omitempty"`
}

// PodPort is one entry of POD_PORTS.
type PodPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

// FlexInt is a number that some agents send as a string.
type FlexInt int

// UnmarshalJSON accepts 15021 and "15021".
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != float64(int64(v)) {
		return fmt.Errorf("want an integer, got %s", b)
	}
	*f = FlexInt(v)
	return nil
}

// RawObject keeps a nested struct (PROXY_CONFIG, PLATFORM_METADATA) without interpreting it.
type RawObject map[string]any

// ParseNodeMetadata reads the node metadata struct, given as the map structpb.Struct.AsMap returns.
func ParseNodeMetadata(m map[string]any) (NodeMetadata, error) {
	var md NodeMetadata
	if len(m) == 0 {
		return md, nil
	}
	// A JSON round trip gives every field Istio's lenient typing (string maps, numbers as strings).
	b, err := json.Marshal(m)
	if err != nil {
		return md, fmt.Errorf("node metadata: %w", err)
	}
	if err := json.Unmarshal(b, &md); err != nil {
		return md, fmt.Errorf("node metadata: %w", err)
	}
	if _, err := md.IPs(); err != nil {
		return md, err
	}
	if _, err := md.ParsedPodPorts(); err != nil {
		return md, err
	}
	return md, nil
}

// Map is the metadata as the map structpb.NewStruct takes.
func (md NodeMetadata) Map() map[string]any {
	b, err := json.Marshal(md)
	if err != nil {
		// Only strings, string maps, integers and JSON-decoded objects: Marshal cannot fail.
		panic(err)
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

// IPs parses INSTANCE_IPS, a comma-separated list.
func (md NodeMetadata) IPs() ([]netip.Addr, error) {
	if md.InstanceIPs == "" {
		return nil, nil
	}
	var out []netip.Addr
	for _, s := range strings.Split(md.InstanceIPs, ",") {
		ip, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("node metadata INSTANCE_IPS %q: %w", md.InstanceIPs, err)
		}
		out = append(out, ip)
	}
	return out, nil
}

// ParsedPodPorts decodes POD_PORTS.
func (md NodeMetadata) ParsedPodPorts() ([]PodPort, error) {
	if md.PodPorts == "" {
		return nil, nil
	}
	var out []PodPort
	if err := json.Unmarshal([]byte(md.PodPorts), &out); err != nil {
		return nil, fmt.Errorf("node metadata POD_PORTS: %w", err)
	}
	return out, nil
}
