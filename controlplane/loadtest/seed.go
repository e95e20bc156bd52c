package loadtest

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// SeedOptions describe the load issue 12 measures against: Services in the namespaces the
// simulated proxies live in (load-0 ...), each with ready endpoints.
type SeedOptions struct {
	Namespaces int // load-0 ... load-(N-1)
	Services   int // per namespace: svc-0 ...
	Endpoints  int // per Service
	// Pods creates one Pod per endpoint (labels app=svc-i, version=v1|v2), held by a scheduling
	// gate so nothing runs them: the model reads endpoint labels from Pods.
	Pods bool
}

// Seed creates the load's objects. EndpointSlices are written directly with ready endpoints (no
// controller needs to run, so an API-only cluster is enough). Objects that already exist are
// left as they are, so a second run completes a partial one.
func Seed(ctx context.Context, kube kubernetes.Interface, o SeedOptions) error {
	if o.Namespaces < 1 || o.Services < 0 || o.Endpoints < 0 || o.Endpoints > 250 || o.Services > 250*250 {
		return fmt.Errorf("seed: want at least 1 namespace, 0-62500 Services and 0-250 endpoints, got %d, %d, %d",
			o.Namespaces, o.Services, o.Endpoints)
	}
	var wg sync.WaitGroup
	errs := make(chan error, o.Namespaces)
	for n := range o.Namespaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := seedNamespace(ctx, kube, n, o); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func seedNamespace(ctx context.Context, kube kubernetes.Interface, n int, o SeedOptions) error {
	ns := fmt.Sprintf("load-%d", n)
	if err := create(kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})); err != nil {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	// Pods need the namespace's default ServiceAccount; without a controller-manager (an
	// API-only cluster) nobody else creates it.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
	if err := create(kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})); err != nil {
		return fmt.Errorf("service account %s/default: %w", ns, err)
	}
	ready := true
	for i := range o.Services {
		name := fmt.Sprintf("svc-%d", i)
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
		if err := create(kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})); err != nil {
			return fmt.Errorf("service %s/%s: %w", ns, name, err)
		}
		http, port := "http", int32(80)
		es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels: map[string]string{discoveryv1.LabelServiceName: name}}, AddressType: discoveryv1.AddressTypeIPv4,
			Ports: []discoveryv1.EndpointPort{{Name: &http, Port: &port}}}
		for e := range o.Endpoints {
			ep := discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 100+n%100, i%250, e+1)},
				Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
			if o.Pods {
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", name, e), Namespace: ns,
					Labels: map[string]string{"app": name, "version": fmt.Sprintf("v%d", e%2+1)}},
					Spec: corev1.PodSpec{SchedulingGates: []corev1.PodSchedulingGate{{Name: "meshctl.io/hold"}},
						Containers: []corev1.Container{{Name: "app", Image: "app:1", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}}}}}}
				if err := create(kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})); err != nil {
					return fmt.Errorf("pod %s/%s: %w", ns, pod.Name, err)
				}
				ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod.Name}
			}
			es.Endpoints = append(es.Endpoints, ep)
		}
		if err := create(kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, es, metav1.CreateOptions{})); err != nil {
			return fmt.Errorf("endpointslice %s/%s: %w", ns, name, err)
		}
	}
	return nil
}

// create drops a Create call's object and treats AlreadyExists as done.
func create[T any](_ T, err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
