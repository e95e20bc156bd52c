package model

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestConfigMemoOutlivesEndpointChanges: a snapshot that differs from the last in endpoints only
// keeps its configuration results; any other change drops them.
func TestConfigMemoOutlivesEndpointChanges(t *testing.T) {
	w := newWorld(DefaultClusterDomain)
	if err := w.set(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"}}); err != nil {
		t.Fatal(err)
	}
	s1 := w.build(1, nil, false)
	calls := 0
	compute := func() any { calls++; return calls }
	s1.ConfigMemo("k", compute)
	if err := w.set(&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "a-1", Namespace: "ns", Labels: map[string]string{discoveryv1.LabelServiceName: "a"}}}); err != nil {
		t.Fatal(err)
	}
	s2 := w.build(2, s1, true)
	if got := s2.ConfigMemo("k", compute); got != 1 || calls != 1 {
		t.Errorf("after an endpoint change: value %v after %d computations, want the first one kept", got, calls)
	}
	s2.Memo("e", compute)
	s3 := w.build(3, s2, false)
	if got := s3.ConfigMemo("k", compute); got != 3 {
		t.Errorf("after a configuration change: value %v, want it computed again (3)", got)
	}
	if got := s3.Memo("e", compute); got != 4 {
		t.Errorf("endpoint results are per snapshot: got %v, want 4", got)
	}
}
