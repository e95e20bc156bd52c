package model_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	networkingapi "istio.io/api/networking/v1alpha3"
	securityapi "istio.io/api/security/v1beta1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/meshapi"
)

// changes records a Store's changes for a test to wait on.
type changes struct {
	mu  sync.Mutex
	all []model.Change
}

func (c *changes) add(ch model.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, ch)
}

func (c *changes) has(kind, ns string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.all {
		if slices.Contains(ch.Kinds, kind) && (ns == "" || slices.Contains(ch.Namespaces, ns)) {
			return true
		}
	}
	return false
}

// startStore runs a Store until the test ends.
func startStore(t *testing.T, env *testenv.Env, crdPoll ...time.Duration) (*model.Store, *changes) {
	t.Helper()
	opts := model.StoreOptions{}
	if len(crdPoll) > 0 {
		opts.CRDPoll = crdPoll[0]
	}
	opts.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := model.NewStore(env.Config(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ch := &changes{}
	s.OnChange(ch.add)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(t.Context(), time.Minute)
	defer wcancel()
	if err := s.WaitForSync(wctx); err != nil {
		t.Fatal(err)
	}
	return s, ch
}

// eventually polls cond for up to a minute (the API server, the controllers and KWOK take their time).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func service(s *model.Snapshot, host string) *model.Service {
	if l := s.ServicesByHost(host); len(l) > 0 {
		return l[0]
	}
	return nil
}

func endpointLabels(s *model.Snapshot, host string) []string {
	svc := service(s, host)
	if svc == nil {
		return nil
	}
	var out []string
	for _, e := range s.Endpoints(svc) {
		out = append(out, e.Labels["version"])
	}
	slices.Sort(out)
	return out
}

// TestStore: the model follows the API server. Its subtests run in order on the package's cluster:
// first without Istio's CRDs, then with them.
func TestStore(t *testing.T) {
	env := testenv.Get(t)
	kube := env.Client()
	ctx := t.Context()

	t.Run("missing CRDs are empty kinds", func(t *testing.T) {
		if installed(t, env) {
			t.Skip("Istio's CRDs are already installed on this cluster")
		}
		s, _ := startStore(t, env)
		if len(s.MissingKinds()) != 9 {
			t.Errorf("Missing = %v, want the nine Istio kinds (six of networking, three of security)", s.MissingKinds())
		}
		if snap := s.Snapshot(); len(snap.VirtualServices) != 0 || snap.Mesh.GetRootNamespace() != meshapi.DefaultNamespace {
			t.Errorf("snapshot without CRDs: %d VirtualServices, root %q", len(snap.VirtualServices), snap.Mesh.GetRootNamespace())
		}
	})

	t.Run("services and endpoints of pods", func(t *testing.T) {
		s, ch := startStore(t, env)
		ns := env.Namespace(t)
		host := "web." + ns + ".svc.cluster.local"
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
		if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the Service in the snapshot and a Service change", func() bool {
			return service(s.Snapshot(), host) != nil && ch.has(model.KindService, ns)
		})
		if p := service(s.Snapshot(), host).Ports; len(p) != 1 || p[0].Protocol != "http" || p[0].TargetPort != 80 {
			t.Errorf("ports %+v", p)
		}
		for _, v := range []string{"v1", "v2"} {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-" + v, Namespace: ns, Labels: map[string]string{"app": "web", "version": v}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:" + v}}}}
			if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "both pods' endpoints with their labels", func() bool {
			return slices.Equal(endpointLabels(s.Snapshot(), host), []string{"v1", "v2"}) && ch.has(model.KindEndpointSlice, ns)
		})
		eds := func() []string { return edsAddresses(t, s.Snapshot(), ns, "outbound|80||"+host) }
		if got := eds(); len(got) != 2 {
			t.Fatalf("EDS of %s: %v, want both pods", host, got)
		}
		if err := kube.CoreV1().Pods(ns).Delete(ctx, "web-v1", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deleted pod's endpoint gone", func() bool {
			return slices.Equal(endpointLabels(s.Snapshot(), host), []string{"v2"}) && len(eds()) == 1
		})
		if err := kube.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deleted Service gone", func() bool { return service(s.Snapshot(), host) == nil })
	})

	t.Run("mesh config reload", func(t *testing.T) {
		s, ch := startStore(t, env)
		ensureNamespace(t, env, meshapi.DefaultNamespace)
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: meshapi.MeshConfigMap, Namespace: meshapi.DefaultNamespace},
			Data: map[string]string{meshapi.MeshConfigKey: "rootNamespace: mesh-root\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"}}
		if _, err := kube.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = kube.CoreV1().ConfigMaps(cm.Namespace).Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
		})
		eventually(t, "the mesh config", func() bool {
			return s.Snapshot().Mesh.GetRootNamespace() == "mesh-root" && ch.has(model.KindMeshConfig, meshapi.DefaultNamespace)
		})
		cm.Data[meshapi.MeshConfigKey] = "rootNamespace: [not, a, string]\n"
		if _, err := kube.CoreV1().ConfigMaps(cm.Namespace).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		cm.Data[meshapi.MeshConfigKey] = "rootNamespace: other-root\n"
		time.Sleep(200 * time.Millisecond)
		if got := s.Snapshot().Mesh.GetRootNamespace(); got != "mesh-root" {
			t.Errorf("a bad mesh config replaced the good one: root %q", got)
		}
		cur, err := kube.CoreV1().ConfigMaps(cm.Namespace).Get(ctx, cm.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Data = cm.Data
		if _, err := kube.CoreV1().ConfigMaps(cm.Namespace).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the changed mesh config", func() bool { return s.Snapshot().Mesh.GetRootNamespace() == "other-root" })
		if err := kube.CoreV1().ConfigMaps(cm.Namespace).Delete(ctx, cm.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the defaults back", func() bool { return s.Snapshot().Mesh.GetRootNamespace() == meshapi.DefaultNamespace })
	})

	t.Run("Istio kinds", func(t *testing.T) {
		// A Store started before the CRDs exist picks them up when they appear.
		early, earlyCh := startStore(t, env, 100*time.Millisecond)
		installCRDs(t, env)
		s, ch := startStore(t, env)
		if m := s.MissingKinds(); len(m) != 0 {
			t.Fatalf("Missing = %v with the CRDs installed", m)
		}
		eventually(t, "the early store watching every kind", func() bool {
			return len(early.MissingKinds()) == 0 && earlyCh.has(model.KindVirtualService, "")
		})
		ns := env.Namespace(t)
		istio, err := istioclient.NewForConfig(env.Config())
		if err != nil {
			t.Fatal(err)
		}
		vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: ns},
			Spec: networkingapi.VirtualService{Hosts: []string{"reviews"}, Http: []*networkingapi.HTTPRoute{{
				Route: []*networkingapi.HTTPRouteDestination{{Destination: &networkingapi.Destination{Host: "reviews", Subset: "v2"}}}}}}}
		if _, err := istio.NetworkingV1().VirtualServices(ns).Create(ctx, vs, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		has := func() bool {
			for _, c := range s.Snapshot().VirtualServices {
				if c.Namespace == ns && c.Name == "reviews" && c.Spec.GetHttp()[0].GetRoute()[0].GetDestination().GetSubset() == "v2" {
					return true
				}
			}
			return false
		}
		eventually(t, "the VirtualService and its change", func() bool { return has() && ch.has(model.KindVirtualService, ns) })
		eventually(t, "the VirtualService in the early store", func() bool {
			for _, c := range early.Snapshot().VirtualServices {
				if c.Namespace == ns && c.Name == "reviews" {
					return true
				}
			}
			return false
		})
		se := &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Name: "ext", Namespace: ns},
			Spec: networkingapi.ServiceEntry{Hosts: []string{"api.example.com"}, Resolution: networkingapi.ServiceEntry_STATIC,
				Ports:     []*networkingapi.ServicePort{{Number: 443, Name: "tls", Protocol: "TLS"}},
				Endpoints: []*networkingapi.WorkloadEntry{{Address: "203.0.113.1"}}}}
		if _, err := istio.NetworkingV1().ServiceEntries(ns).Create(ctx, se, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the ServiceEntry's host and endpoint", func() bool {
			svc := service(s.Snapshot(), "api.example.com")
			return svc != nil && len(s.Snapshot().Endpoints(svc)) == 1
		})
		ap := &securityv1.AuthorizationPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny-all", Namespace: ns}}
		if _, err := istio.SecurityV1().AuthorizationPolicies(ns).Create(ctx, ap, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the AuthorizationPolicy and its change", func() bool {
			for _, c := range s.Snapshot().AuthorizationPolicies {
				if c.Namespace == ns && c.Name == "deny-all" {
					return ch.has(model.KindAuthorizationPolicy, ns)
				}
			}
			return false
		})
		if err := istio.NetworkingV1().VirtualServices(ns).Delete(ctx, "reviews", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deleted VirtualService gone", func() bool { return !has() })

		pa := &securityv1.PeerAuthentication{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns},
			Spec: securityapi.PeerAuthentication{Mtls: &securityapi.PeerAuthentication_MutualTLS{Mode: securityapi.PeerAuthentication_MutualTLS_STRICT}}}
		if _, err := istio.SecurityV1().PeerAuthentications(ns).Create(ctx, pa, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the PeerAuthentication and its change", func() bool {
			for _, c := range s.Snapshot().PeerAuthentications {
				if c.Namespace == ns && c.Spec.GetMtls().GetMode() == securityapi.PeerAuthentication_MutualTLS_STRICT {
					return ch.has(model.KindPeerAuthentication, ns)
				}
			}
			return false
		})
		if err := istio.SecurityV1().PeerAuthentications(ns).Delete(ctx, "default", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deleted PeerAuthentication gone", func() bool { return len(s.Snapshot().PeerAuthentications) == 0 })
	})
}

// edsAddresses are the endpoint addresses a sidecar of namespace ns receives for cluster.
func edsAddresses(t *testing.T, s *model.Snapshot, ns, cluster string) []string {
	t.Helper()
	p := &translate.Proxy{ID: meshapi.NewNodeID(meshapi.Sidecar, netip.MustParseAddr("10.9.9.9"), "client", ns, "cluster.local"),
		Meta: meshapi.NodeMetadata{Namespace: ns}}
	res, err := translate.Generate(s, p)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res[resourcev3.EndpointType] {
		cla := r.(*endpointv3.ClusterLoadAssignment)
		if cla.GetClusterName() != cluster {
			continue
		}
		for _, l := range cla.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				out = append(out, e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress())
			}
		}
	}
	return out
}

func ensureNamespace(t *testing.T, env *testenv.Env, name string) {
	t.Helper()
	_, err := env.Client().CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func installed(t *testing.T, env *testenv.Env) bool {
	_, err := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions().Get(t.Context(), "virtualservices.networking.istio.io", metav1.GetOptions{})
	return err == nil
}

// installCRDs applies the mesh's CRDs (the base chart's, without its template lines) and waits
// until they are served.
func installCRDs(t *testing.T, env *testenv.Env) {
	t.Helper()
	b, err := os.ReadFile("../../manifests/charts/base/templates/crds.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, "{{") {
			kept = append(kept, l)
		}
	}
	rd := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(strings.Join(kept, "\n"))), 4096)
	crds := env.APIExtensions().ApiextensionsV1().CustomResourceDefinitions()
	for {
		var crd apiextv1.CustomResourceDefinition
		if err := rd.Decode(&crd); err != nil {
			break
		}
		if crd.Name == "" {
			continue
		}
		if _, err := crds.Create(t.Context(), &crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create CRD %s: %v", crd.Name, err)
		}
	}
	eventually(t, "the networking and security CRDs served", func() bool {
		served := 0
		for _, gv := range []string{networkingv1.SchemeGroupVersion.String(), "security.istio.io/v1"} {
			l, err := env.Client().Discovery().ServerResourcesForGroupVersion(gv)
			if err != nil {
				return false
			}
			for _, r := range l.APIResources {
				switch r.Name {
				case "virtualservices", "destinationrules", "gateways", "serviceentries", "workloadentries", "sidecars",
					"authorizationpolicies", "requestauthentications":
					served++
				}
			}
		}
		return served == 8
	})
	eventually(t, "PeerAuthentication served", func() bool {
		l, err := env.Client().Discovery().ServerResourcesForGroupVersion(securityv1.SchemeGroupVersion.String())
		if err != nil {
			return false
		}
		for _, r := range l.APIResources {
			if r.Name == "peerauthentications" {
				return true
			}
		}
		return false
	})
}

// TestStoreMemory: the Store's heap at the load, 1,000 Services in 10 namespaces with 10
// endpoints each, each endpoint a pod (held by a scheduling gate, so that no scheduler or KWOK
// works on them; the EndpointSlices are written directly).
func TestStoreMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 2,000 objects")
	}
	env := testenv.Get(t)
	kube := env.Client()
	ctx := t.Context()
	var nss []string
	for range 10 {
		nss = append(nss, env.Namespace(t))
	}
	ready := true
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for n, ns := range nss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				name := fmt.Sprintf("svc-%d", i)
				svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
					Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
				if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
				es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
					Labels: map[string]string{discoveryv1.LabelServiceName: name}}, AddressType: discoveryv1.AddressTypeIPv4,
					Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(80))}}}
				for e := range 10 {
					pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", name, e), Namespace: ns,
						Labels: map[string]string{"app": name, "version": fmt.Sprintf("v%d", e%2+1), "pod-template-hash": "5d8f7c9b6"}},
						Spec: corev1.PodSpec{SchedulingGates: []corev1.PodSchedulingGate{{Name: "meshctl.io/hold"}}, Containers: []corev1.Container{{Name: "app", Image: "app:1",
							Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}}}}}}
					if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
						errs <- err
						return
					}
					es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 100+n, i, e+1)},
						Conditions: discoveryv1.EndpointConditions{Ready: &ready}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: pod.Name}})
				}
				if _, err := kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, es, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, _ := startStore(t, env)
	snap := s.Snapshot()
	runtime.GC()
	runtime.ReadMemStats(&after)
	n, eps := 0, 0
	for _, svc := range snap.Services {
		if slices.Contains(nss, svc.Namespace) {
			n++
			eps += len(snap.Endpoints(svc))
		}
	}
	labelled := 0
	for _, svc := range snap.Services {
		for _, e := range snap.Endpoints(svc) {
			if e.Labels["version"] != "" {
				labelled++
			}
		}
	}
	if n != 1000 || eps != 10000 || labelled < 10000 {
		t.Fatalf("the store holds %d of the Services and %d endpoints (%d with pod labels), want 1000 and 10000", n, eps, labelled)
	}
	t.Logf("Store heap at 1,000 Services / 10,000 endpoints and their pods: %.1f MiB (informer caches, model and one snapshot)",
		float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
	runtime.KeepAlive(snap)
}

func ptr[T any](v T) *T { return &v }
