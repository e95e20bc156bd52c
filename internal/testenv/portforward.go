package testenv

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// KWOK's fake-kubelet resources. A PortForward (namespaced, named after its pod) or a
// ClusterPortForward (pods selected by namespace or name) tells KWOK where to send the bytes
// of a port-forward to a fake pod: here, to a server the test runs on loopback.
var (
	PortForwardResource        = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "portforwards"}
	ClusterPortForwardResource = schema.GroupVersionResource{Group: "kwok.x-k8s.io", Version: "v1alpha1", Resource: "clusterportforwards"}
)

// PortForward makes port-forwards to port of the pod namespace/pod reach target
// ("127.0.0.1:8080", usually an httptest server's address) through the real apiserver
// port-forward path. Port 0 forwards every port of the pod. The rule is deleted when the test
// ends. It needs KWOK and works for pods on its nodes (all pods of a full cluster).
func (e *Env) PortForward(t testing.TB, namespace, pod string, port int, target string) {
	t.Helper()
	fwd, err := forward(port, target)
	if err != nil {
		t.Fatalf("port-forward rule for %s/%s: %v", namespace, pod, err)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "PortForward",
		"metadata":   map[string]any{"name": pod, "namespace": namespace},
		"spec":       map[string]any{"forwards": []any{fwd}},
	}}
	e.createRule(t, PortForwardResource, namespace, obj)
}

// ClusterPortForward is PortForward for every pod of the given namespaces, which is what a
// test needs when the pod name is made by a Deployment. name must be unique in the cluster.
func (e *Env) ClusterPortForward(t testing.TB, name string, namespaces []string, port int, target string) {
	t.Helper()
	fwd, err := forward(port, target)
	if err != nil {
		t.Fatalf("cluster port-forward rule %s: %v", name, err)
	}
	nss := make([]any, len(namespaces))
	for i, ns := range namespaces {
		nss[i] = ns
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "ClusterPortForward",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"selector": map[string]any{"matchNamespaces": nss},
			"forwards": []any{fwd},
		},
	}}
	e.createRule(t, ClusterPortForwardResource, "", obj)
}

func forward(port int, target string) (map[string]any, error) {
	host, portText, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	targetPort, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("target %q: port: %w", target, err)
	}
	fwd := map[string]any{"target": map[string]any{"address": host, "port": int64(targetPort)}}
	if port != 0 {
		fwd["ports"] = []any{int64(port)}
	}
	return fwd, nil
}

func (e *Env) createRule(t testing.TB, gvr schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured) {
	t.Helper()
	client := e.dynamic.Resource(gvr).Namespace(namespace)
	if _, err := client.Create(t.Context(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	t.Cleanup(func() {
		// t.Context is already cancelled during cleanup.
		err := client.Delete(context.Background(), obj.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) && e.Cluster.Exited() == nil {
			t.Errorf("delete %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	})
}
