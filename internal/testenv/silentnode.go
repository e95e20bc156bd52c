package testenv

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// SilentNode is a node whose kubelet accepts the API server's connections and never answers, as a node
// that has stopped responding does: a port-forward, logs or exec request to one of its pods hangs in the
// API server (for many minutes) until Release. KWOK does not run it; its pods are put there Running and
// Ready by RunPod.
type SilentNode struct {
	// Name is the Node's name.
	Name string
	// Dialled is closed when the API server first connects to the node's kubelet.
	Dialled <-chan struct{}

	env   *Env
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
	once  sync.Once
}

// SilentNode registers a Node named name whose kubelet is a listener of the test on 127.0.0.1. The node is
// deleted and the listener closed when the test ends.
func (e *Env) SilentNode(t testing.TB, name string) *SilentNode {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dialled := make(chan struct{})
	n := &SilentNode{Name: name, Dialled: dialled, env: e, l: l}
	var first sync.Once
	n.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.mu.Lock()
			n.conns = append(n.conns, c)
			n.mu.Unlock()
			first.Do(func() { close(dialled) })
		}
	})
	t.Cleanup(n.Release)

	nodes := e.client.CoreV1().Nodes()
	created, err := nodes.Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"kubernetes.io/hostname": name},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() { _ = nodes.Delete(context.Background(), name, metav1.DeleteOptions{}) })
	// The API server reaches a kubelet at the node's InternalIP and kubelet port. The node controller
	// may write the new node meanwhile (taints, its lifecycle): a conflict is retried on a fresh copy.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		now := metav1.Now()
		created.Status = corev1.NodeStatus{
			Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(l.Addr().(*net.TCPAddr).Port)}},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: now, LastTransitionTime: now}},
		}
		_, err := nodes.UpdateStatus(t.Context(), created, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			if fresh, gerr := nodes.Get(t.Context(), name, metav1.GetOptions{}); gerr == nil {
				created = fresh
			}
		}
		return err
	})
	if err != nil {
		t.Fatalf("node %s status: %v", name, err)
	}
	return n
}

// RunPod creates pod in namespace on the node and reports it Running and Ready, as its kubelet would. It
// retries while the namespace's default ServiceAccount does not exist yet. The pod is deleted (at once:
// no kubelet will confirm it) when the test ends.
func (n *SilentNode) RunPod(t testing.TB, namespace string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	pod = pod.DeepCopy()
	pod.Spec.NodeName = n.Name
	pods := n.env.client.CoreV1().Pods(namespace)
	var created *corev1.Pod
	Poll(t, "create pod "+pod.Name, func(ctx context.Context) (bool, error) {
		var err error
		created, err = pods.Create(ctx, pod, metav1.CreateOptions{})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "serviceaccount") {
			return false, err // no default ServiceAccount yet
		}
		if err != nil {
			t.Fatalf("create pod %s/%s: %v", namespace, pod.Name, err)
		}
		return true, nil
	})
	t.Cleanup(func() {
		zero := int64(0)
		_ = pods.Delete(context.Background(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	now := metav1.Now()
	created.Status.Phase = corev1.PodRunning
	created.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	running, err := pods.UpdateStatus(t.Context(), created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("pod %s/%s status: %v", namespace, pod.Name, err)
	}
	return running
}

// Release refuses new connections and drops the held ones: the API server's requests to the node fail.
func (n *SilentNode) Release() {
	n.once.Do(func() {
		n.l.Close()
		n.wg.Wait()
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, c := range n.conns {
			c.Close()
		}
	})
}
