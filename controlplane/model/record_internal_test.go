package model

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/internal/testenv"
)

// TestInformersCacheRecords: the informers of the numerous kinds cache the model's records, not
// API objects, and the world holds those same records: one copy of each Pod, Service and
// EndpointSlice. Pods with equal labels share one label map.
func TestInformersCacheRecords(t *testing.T) {
	env := testenv.Get(t)
	kube := env.Client()
	ctx := t.Context()
	ns := env.Namespace(t)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Annotations: map[string]string{"a": "b"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"web-1", "web-2"} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "web", "version": "v1"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:1"}}}}
		if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	port, http := int32(80), "http"
	es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-x", Namespace: ns,
		Labels: map[string]string{discoveryv1.LabelServiceName: "web"}}, AddressType: discoveryv1.AddressTypeIPv4,
		Ports:     []discoveryv1.EndpointPort{{Name: &http, Port: &port}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.9.0.1"}, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "web-1"}}}}
	if _, err := kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, es, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	s, err := NewStore(env.Config(), StoreOptions{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	defer func() { cancel(); <-done }()
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := s.WaitForSync(wctx); err != nil {
		t.Fatal(err)
	}

	// The informer's cache takes an update (the cluster schedules the pods) before the Store's
	// handler applies it, so the two are compared until they agree; a Store that kept copies of
	// its own never does.
	var (
		p1, p2 *pod
		diff   string
	)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		p1, p2, diff = compareRecords(s, ns, es.Namespace)
		if diff == "" || time.Now().After(deadline) {
			break
		}
	}
	if diff != "" {
		t.Fatal(diff)
	}
	if p1.labels != p2.labels || p1.labels.get()["version"] != "v1" {
		t.Errorf("pods of equal labels hold %p and %p", p1.labels, p2.labels)
	}
}

// compareRecords reads the informers' caches and the world under the Store's lock and says how
// they differ ("" when the world holds the very records the informers cache).
func compareRecords(s *Store, ns, esNamespace string) (p1, p2 *pod, diff string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cached := map[string]any{}
	for _, ki := range s.informers {
		for _, o := range ki.inf.GetStore().List() {
			if ons, name, _, _ := recordMeta(o); ons == esNamespace {
				cached[ki.kind+" "+name] = o
			}
		}
	}
	if r, ok := cached[KindService+" web"].(*serviceRecord); !ok || s.w.services[key(ns, "web")] != r.svc {
		return nil, nil, fmt.Sprintf("the Service informer caches %T, not the world's record", cached[KindService+" web"])
	}
	if r, ok := cached[KindEndpointSlice+" web-x"].(*slice); !ok || s.w.slices[key(ns, "web-x")] != r {
		return nil, nil, fmt.Sprintf("the EndpointSlice informer caches %T, not the world's record", cached[KindEndpointSlice+" web-x"])
	}
	p1, ok1 := cached[KindPod+" web-1"].(*pod)
	p2, ok2 := cached[KindPod+" web-2"].(*pod)
	if !ok1 || !ok2 || s.w.pods[key(ns, "web-1")] != p1 || s.w.pods[key(ns, "web-2")] != p2 {
		return nil, nil, fmt.Sprintf("the Pod informer caches %T, not the world's record", cached[KindPod+" web-1"])
	}
	return p1, p2, ""
}
