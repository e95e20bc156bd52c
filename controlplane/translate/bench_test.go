package translate_test

import (
	"fmt"
	"net/netip"
	"testing"

	"google.golang.org/protobuf/proto"
	networkingapi "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/meshapi"
)

// loadObjects is the load: services in namespaces with endpoints each (one HTTP port,
// pods labelled v1/v2), and a VirtualService and DestinationRule for every tenth service.
func loadObjects(services, namespaces, endpoints int) []runtime.Object {
	var out []runtime.Object
	ready := true
	for i := range services {
		ns := fmt.Sprintf("ns-%d", i%namespaces)
		name := fmt.Sprintf("svc-%d", i)
		out = append(out, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{ClusterIP: fmt.Sprintf("10.96.%d.%d", i/250, i%250+1), Selector: map[string]string{"app": name},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}}})
		es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name + "-x", Namespace: ns,
			Labels: map[string]string{discoveryv1.LabelServiceName: name}}, AddressType: discoveryv1.AddressTypeIPv4,
			Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}}}
		for e := range endpoints {
			pod := fmt.Sprintf("%s-%d", name, e)
			ip := fmt.Sprintf("10.%d.%d.%d", 100+i/250, i%250, e+1)
			out = append(out, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: ns,
				Labels: map[string]string{"app": name, "version": fmt.Sprintf("v%d", e%2+1)}}, Status: corev1.PodStatus{PodIP: ip}})
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: &ready},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: pod}})
		}
		out = append(out, es)
		if i%10 == 0 {
			out = append(out, &networkingv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: networkingapi.DestinationRule{Host: name, Subsets: []*networkingapi.Subset{
					{Name: "v1", Labels: map[string]string{"version": "v1"}}, {Name: "v2", Labels: map[string]string{"version": "v2"}}}}})
			out = append(out, &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: networkingapi.VirtualService{Hosts: []string{name}, Http: []*networkingapi.HTTPRoute{{
					Route: []*networkingapi.HTTPRouteDestination{
						{Destination: &networkingapi.Destination{Host: name, Subset: "v1"}, Weight: 90},
						{Destination: &networkingapi.Destination{Host: name, Subset: "v2"}, Weight: 10}}}}}})
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func loadProxy(i int) *translate.Proxy {
	ns := fmt.Sprintf("ns-%d", i%10)
	return &translate.Proxy{ID: meshapi.NewNodeID(meshapi.Sidecar, netip.MustParseAddr("10.200.0.1"), fmt.Sprintf("client-%d", i), ns, "cluster.local"),
		Meta: meshapi.NodeMetadata{Namespace: ns, Labels: map[string]string{"app": fmt.Sprintf("svc-%d", i)}}}
}

// BenchmarkGenerate: one proxy's resources at 1,000 Services in 10 namespaces with 10 endpoints
// each. "first" pays for the namespace's shared outbound configuration (a fresh snapshot each
// time); "next" is every further proxy of the same scope on the same snapshot.
func BenchmarkGenerate(b *testing.B) {
	objs := loadObjects(1000, 10, 10)
	gen := func(s *model.Snapshot, p *translate.Proxy) map[string][]types.Resource {
		res, err := translate.Generate(s, p)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	size := func(res map[string][]types.Resource) int {
		n := 0
		for _, l := range res {
			for _, r := range l {
				n += proto.Size(r)
			}
		}
		return n
	}
	b.Run("first", func(b *testing.B) {
		var res map[string][]types.Resource
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res = gen(s, loadProxy(i))
		}
		b.ReportMetric(float64(size(res)), "xds-bytes/proxy")
	})
	b.Run("scoped", func(b *testing.B) {
		// A Sidecar limits namespace ns-0 to itself (100 of the 1,000 Services).
		sc := &networkingv1.Sidecar{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "ns-0"},
			Spec: networkingapi.Sidecar{Egress: []*networkingapi.IstioEgressListener{{Hosts: []string{"./*"}}}}}
		var res map[string][]types.Resource
		for b.Loop() {
			b.StopTimer()
			s, err := model.FromObjects(model.DefaultClusterDomain, append(objs[:len(objs):len(objs)], sc)...)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res = gen(s, loadProxy(0))
		}
		b.ReportMetric(float64(size(res)), "xds-bytes/proxy")
	})
	b.Run("next", func(b *testing.B) {
		s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
		if err != nil {
			b.Fatal(err)
		}
		gen(s, loadProxy(0))
		var res map[string][]types.Resource
		for i := 0; b.Loop(); i++ {
			res = gen(s, loadProxy(i*10))
		}
		b.ReportMetric(float64(size(res)), "xds-bytes/proxy")
	})
}

// BenchmarkEndpointChange: the first proxy of a scope after an EndpointSlice changed, through the
// Store's path (the configuration is kept, the endpoints are computed again).
func BenchmarkEndpointChange(b *testing.B) {
	objs := loadObjects(1000, 10, 10)
	st := model.NewTestStore(model.DefaultClusterDomain, objs...)
	p := loadProxy(0)
	if _, err := translate.Generate(st.Snapshot(), p); err != nil {
		b.Fatal(err)
	}
	var slice *discoveryv1.EndpointSlice
	for _, o := range objs {
		if es, ok := o.(*discoveryv1.EndpointSlice); ok && es.Namespace == "ns-0" {
			slice = es.DeepCopy()
			break
		}
	}
	for i := 0; b.Loop(); i++ {
		slice.Endpoints[0].Addresses = []string{fmt.Sprintf("10.250.%d.%d", i/250%250, i%250+1)}
		st.Set(slice.DeepCopy(), true)
		if _, err := translate.Generate(st.Snapshot(), p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot: building the model from the load's objects (TestStoreMemory measures the
// Store's memory on an API server).
func BenchmarkSnapshot(b *testing.B) {
	objs := loadObjects(1000, 10, 10)
	for b.Loop() {
		if _, err := model.FromObjects(model.DefaultClusterDomain, objs...); err != nil {
			b.Fatal(err)
		}
	}
}
