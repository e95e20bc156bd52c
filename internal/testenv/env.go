package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Env is a running test cluster as tests see it.
type Env struct {
	// Kubeconfig is the path of an admin kubeconfig; pass it to commands under test
	// (--kubeconfig) or set KUBECONFIG in a subprocess.
	Kubeconfig string
	// Version is the Kubernetes version of the cluster, such as "v1.37.1".
	Version string
	// Components are the programs that run; APIOnly clusters have no controllers or nodes.
	Components []Component
	// Cluster is the underlying cluster (its folder, ports, Exited).
	Cluster *Cluster

	cfg     *rest.Config
	client  kubernetes.Interface
	dynamic dynamic.Interface
	ext     apiextensions.Interface
}

func newEnv(cl *Cluster) (*Env, error) {
	e := &Env{Kubeconfig: cl.Kubeconfig, Version: cl.Version, Components: cl.Components, Cluster: cl, cfg: cl.Config()}
	var err error
	if e.client, err = kubernetes.NewForConfig(e.cfg); err != nil {
		return nil, err
	}
	if e.dynamic, err = dynamic.NewForConfig(e.cfg); err != nil {
		return nil, err
	}
	if e.ext, err = apiextensions.NewForConfig(e.cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// Config returns a copy of the admin REST config; change it freely (impersonation, QPS).
func (e *Env) Config() *rest.Config { return rest.CopyConfig(e.cfg) }

// Client is a typed clientset with admin rights.
func (e *Env) Client() kubernetes.Interface { return e.client }

// Dynamic is a dynamic client with admin rights, for CRDs and unstructured objects.
func (e *Env) Dynamic() dynamic.Interface { return e.dynamic }

// APIExtensions is a clientset for CustomResourceDefinitions.
func (e *Env) APIExtensions() apiextensions.Interface { return e.ext }

// Namespace creates a namespace of its own for the test, named after it, and deletes it when
// the test ends (without waiting: deletion takes seconds and no later test reuses the name).
// MESHCTL_TESTENV_KEEP=1 keeps it for inspection.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	name := namespaceName(t.Name())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"meshctl.io/testenv": "true"},
	}}
	if _, err := e.client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create test namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		if os.Getenv(KeepEnv) == "1" {
			return
		}
		// t.Context is already cancelled during cleanup.
		err := e.client.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && e.Cluster.Exited() == nil {
			t.Errorf("delete test namespace %s: %v", name, err)
		}
	})
	return name
}

var notDNSLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// namespaceName makes a valid, unique namespace name (a DNS label) from a test name.
func namespaceName(testName string) string {
	base := strings.Trim(notDNSLabel.ReplaceAllString(strings.ToLower(testName), "-"), "-")
	if len(base) > 50 {
		base = strings.TrimRight(base[:50], "-")
	}
	if base == "" {
		base = "test"
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	return fmt.Sprintf("%s-%s", base, hex.EncodeToString(suffix))
}
