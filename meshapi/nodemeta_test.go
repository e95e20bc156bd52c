package meshapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// An agent's metadata as Istio 1.2x writes it (strings, a numeric status port, nested objects).
const istioAgentMetadata = `{
  "ANNOTATIONS": {"kubectl.kubernetes.io/default-container": "productpage"},
  "APP_CONTAINERS": "productpage",
  "CLUSTER_ID": "Kubernetes",
  "ENVOY_PROMETHEUS_PORT": 15090,
  "ENVOY_STATUS_PORT": "15021",
  "INSTANCE_IPS": "10.244.0.7,fd00::7",
  "INTERCEPTION_MODE": "REDIRECT",
  "ISTIO_VERSION": "1.24.0",
  "LABELS": {"app": "productpage", "version": "v1"},
  "MESH_ID": "cluster.local",
  "NAME": "productpage-v1-5f9dbcd669-abcde",
  "NAMESPACE": "default",
  "NODE_NAME": "node-1",
  "OWNER": "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1",
  "POD_PORTS": "[{\"name\":\"http\",\"containerPort\":9080,\"protocol\":\"TCP\"}]",
  "PROXY_CONFIG": {"discoveryAddress": "istiod.istio-system.svc:15012", "concurrency": 2},
  "SERVICE_ACCOUNT": "bookinfo-productpage",
  "WORKLOAD_NAME": "productpage-v1",
  "SOMETHING_NEW": {"x": 1}
}`

func TestParseNodeMetadata(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal([]byte(istioAgentMetadata), &m); err != nil {
		t.Fatal(err)
	}
	md, err := ParseNodeMetadata(m)
	if err != nil {
		t.Fatal(err)
	}
	if md.Namespace != "default" || md.Labels["version"] != "v1" || md.EnvoyStatusPort != 15021 || md.EnvoyPrometheusPort != 15090 {
		t.Errorf("parsed %+v", md)
	}
	ips, _ := md.IPs()
	if len(ips) != 2 || ips[1].String() != "fd00::7" {
		t.Errorf("IPs = %v", ips)
	}
	ports, _ := md.ParsedPodPorts()
	if !reflect.DeepEqual(ports, []PodPort{{Name: "http", ContainerPort: 9080, Protocol: "TCP"}}) {
		t.Errorf("pod ports = %+v", ports)
	}
	if md.ProxyConfig["discoveryAddress"] != "istiod.istio-system.svc:15012" {
		t.Errorf("proxy config = %v", md.ProxyConfig)
	}
	// Map gives back what ParseNodeMetadata reads (without unknown keys).
	again, err := ParseNodeMetadata(md.Map())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, md) {
		t.Errorf("round trip:\n%+v\n%+v", again, md)
	}
}

func TestParseNodeMetadataErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"INSTANCE_IPS": "10.0.0.1,nope"}`: "INSTANCE_IPS",
		`{"POD_PORTS": "[{"}`:               "POD_PORTS",
		`{"ENVOY_STATUS_PORT": "x"}`:        "integer",
		`{"LABELS": ["a"]}`:                 "LABELS",
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			t.Fatal(err)
		}
		_, err := ParseNodeMetadata(m)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want one mentioning %s", in, err, want)
		}
	}
}

func FuzzParseNodeMetadata(f *testing.F) {
	f.Add(istioAgentMetadata)
	f.Add(`{"INSTANCE_IPS": "::1", "ENVOY_STATUS_PORT": 1.5}`)
	f.Fuzz(func(t *testing.T, s string) {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return
		}
		md, err := ParseNodeMetadata(m)
		if err != nil {
			return
		}
		if _, err := ParseNodeMetadata(md.Map()); err != nil {
			t.Fatalf("metadata parsed from %q does not parse after Map: %v", s, err)
		}
	})
}
