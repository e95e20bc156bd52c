package model_test

import (
	"strings"
	"testing"

	"github.com/meshctl/meshctl/controlplane/model"
)

const buildYAML = `
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {topology.kubernetes.io/region: eu, topology.kubernetes.io/zone: eu-1, topology.istio.io/subzone: r7, other: x}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, annotations: {networking.istio.io/exportTo: ".,ops"}}
spec:
  clusterIP: 10.0.0.1
  selector: {app: web}
  ports:
  - {name: http-web, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090, targetPort: admin, appProtocol: HTTP}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web, version: v1}}
spec: {nodeName: n1}
status: {podIP: 10.1.0.1}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-a, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http-web, port: 8080}]
endpoints:
- {addresses: [10.1.0.1], conditions: {ready: true}, nodeName: n1, targetRef: {kind: Pod, name: web-1}}
- {addresses: [10.1.0.2], conditions: {ready: false}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm, namespace: shop}
spec: {address: 192.168.0.9, labels: {app: web, version: v2}, locality: us/us-1, weight: 5}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: shop}
spec:
  hosts: [a.example.com, b.example.com]
  resolution: DNS
  location: MESH_EXTERNAL
  ports: [{number: 443, name: tls, protocol: TLS}]
  endpoints: [{address: a.backend.example}]
`

// TestFromObjects: what the model keeps of each kind.
func TestFromObjects(t *testing.T) {
	objs, err := model.DecodeYAML(strings.NewReader(buildYAML))
	if err != nil {
		t.Fatal(err)
	}
	s, err := model.FromObjects("cluster.local", objs...)
	if err != nil {
		t.Fatal(err)
	}
	web := service(s, "web.shop.svc.cluster.local")
	if web == nil {
		t.Fatal("no web service")
	}
	if strings.Join(web.ExportTo, ",") != ".,ops" || strings.Join(web.Addresses, ",") != "10.0.0.1" {
		t.Errorf("exportTo %v, addresses %v", web.ExportTo, web.Addresses)
	}
	if len(web.Ports) != 2 {
		t.Fatalf("ports %+v: want the two TCP ports", web.Ports)
	}
	if p := web.Ports[0]; p.Protocol != "http" || p.TargetPort != 8080 {
		t.Errorf("port 80: %+v", p)
	}
	if p := web.Ports[1]; p.Protocol != "http" || p.TargetPortName != "admin" {
		t.Errorf("port 9090 (appProtocol, named target): %+v", p)
	}
	eps := s.Endpoints(web)
	if len(eps) != 2 {
		t.Fatalf("endpoints %+v: want the ready pod and the WorkloadEntry", eps)
	}
	pod, vm := eps[0], eps[1]
	if pod.Address != "10.1.0.1" || pod.Labels["version"] != "v1" || pod.Locality != (model.Locality{Region: "eu", Zone: "eu-1", SubZone: "r7"}) ||
		pod.Ports["http-web"] != 8080 || !pod.ExactPorts {
		t.Errorf("pod endpoint %+v", pod)
	}
	if vm.Address != "192.168.0.9" || vm.Weight != 5 || vm.Locality != (model.Locality{Region: "us", Zone: "us-1"}) || vm.ExactPorts {
		t.Errorf("WorkloadEntry endpoint %+v", vm)
	}
	for _, h := range []string{"a.example.com", "b.example.com"} {
		se := service(s, h)
		if se == nil || se.Resolution != model.ResolveDNS || !se.External || len(s.Endpoints(se)) != 1 {
			t.Errorf("ServiceEntry host %s: %+v", h, se)
		}
	}
}
