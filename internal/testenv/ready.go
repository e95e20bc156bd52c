package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// etcdHealthy asks etcd's /health endpoint.
func etcdHealthy(port int) func(context.Context) (bool, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url(port)+"/health", nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		var body struct {
			Health string `json:"health"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return false, err
		}
		return body.Health == "true", nil
	}
}

func (cl *Cluster) clientset() (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(cl.cfg)
}

// readyz passes when every check of the apiserver's /readyz does (etcd, informers synced,
// RBAC bootstrap roles, priority-and-fairness configuration, ...).
func (cl *Cluster) readyz(ctx context.Context) (bool, error) {
	cs, err := cl.clientset()
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return false, fmt.Errorf("/readyz: %w: %s", err, failedChecks(string(body)))
	}
	return strings.TrimSpace(string(body)) == "ok", nil
}

// failedChecks picks the "[-]..." lines out of a verbose /readyz answer.
func failedChecks(body string) string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "[-]") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "; ")
}

// nodesReady waits for KWOK to mark n fake nodes Ready.
func (cl *Cluster) nodesReady(n int) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		cs, err := cl.clientset()
		if err != nil {
			return false, err
		}
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		ready := 0
		for _, node := range nodes.Items {
			for _, cond := range node.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready >= n, nil
	}
}

// defaultServiceAccount waits for the controller-manager to create default/default: until it
// exists, the ServiceAccount admission plugin rejects every pod of the namespace.
func (cl *Cluster) defaultServiceAccount(ctx context.Context) (bool, error) {
	cs, err := cl.clientset()
	if err != nil {
		return false, err
	}
	_, err = cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
