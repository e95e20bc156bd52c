package locate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestConfigMapName(t *testing.T) {
	for _, tc := range []struct {
		in       Input
		revision string
		want     string
	}{
		{Templates, "", "istio-sidecar-injector"},
		{Values, "canary", "istio-sidecar-injector-canary"},
		{Mesh, "", "istio"},
		{Mesh, "1-30", "istio-1-30"},
	} {
		if got := tc.in.ConfigMapName(tc.revision); got != tc.want {
			t.Errorf("%v revision %q: %s, want %s", tc.in, tc.revision, got, tc.want)
		}
	}
}

func TestFromFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := write("mesh.yaml", "trustDomain: cluster.local\n")
	cm := write("istio.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\ndata:\n  mesh: |-\n    trustDomain: example.org\n")

	src, err := FromFile(text, Mesh, "--meshConfigFile")
	if err != nil || src.Text != "trustDomain: cluster.local\n" || src.Line != 1 || src.Name != text {
		t.Errorf("the key's text: %+v, %v", src, err)
	}
	// A ConfigMap's key: the text, and the line it starts on (the line after "mesh: |-").
	src, err = FromFile(cm, Mesh, "--meshConfigFile")
	if err != nil || src.Text != "trustDomain: example.org" || src.Line != 7 {
		t.Errorf("a whole ConfigMap: %+v, %v", src, err)
	}
	_, err = FromFile(cm, Values, "--valuesFile")
	if err == nil || err.Error() != cm+":5: data.values: --valuesFile: the ConfigMap has no key \"values\"" {
		t.Errorf("a ConfigMap without the key: %v", err)
	}
	_, err = FromFile(filepath.Join(dir, "nope.yaml"), Mesh, "--meshConfigFile")
	if err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "nope.yaml")+": --meshConfigFile: cannot read") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestFromCluster reads the inputs from a real API server: each ConfigMap once, with its revision, and
// says which ConfigMap or key is missing.
func TestFromCluster(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	for name, data := range map[string]map[string]string{
		"istio-sidecar-injector-canary": {"config": "policy: enabled\n", "values": "{}"},
		"istio-canary":                  {"mesh": "trustDomain: canary.local\n"},
		"istio":                         {"meshNetworks": "{}"},
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
		if _, err := env.Client().CoreV1().ConfigMaps(ns).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	client := env.Client().CoreV1()

	srcs, err := FromCluster(t.Context(), client, ns, "canary", Templates, Values, Mesh)
	if err != nil {
		t.Fatal(err)
	}
	if got := srcs[Mesh]; got.Text != "trustDomain: canary.local\n" || got.Name != "ConfigMap "+ns+"/istio-canary key mesh" || got.Line != 1 {
		t.Errorf("mesh: %+v", got)
	}
	if srcs[Templates].Text != "policy: enabled\n" || srcs[Values].Text != "{}" {
		t.Errorf("templates %+v, values %+v", srcs[Templates], srcs[Values])
	}

	_, err = FromCluster(t.Context(), client, ns, "stable", Templates)
	var ce *ConfigMapError
	if !errors.As(err, &ce) || !apierrors.IsNotFound(err) || ce.Name != "istio-sidecar-injector-stable" || ce.Namespace != ns {
		t.Errorf("a revision that is not installed: %v", err)
	}
	_, err = FromCluster(t.Context(), client, ns, "", Mesh)
	var mk *MissingKeyError
	if !errors.As(err, &mk) || mk.Name != "istio" || mk.Key != "mesh" {
		t.Errorf("a ConfigMap without the key: %v", err)
	}

	info, err := env.Client().Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	_, minor, err := installer.ParseMinor(info.GitVersion)
	if err != nil {
		t.Fatal(err)
	}
	if opts := PodOptions(env.Client().Discovery()); opts.KubernetesMinor != minor || minor == 0 {
		t.Errorf("Kubernetes minor version %d, want %d (%s)", opts.KubernetesMinor, minor, info.GitVersion)
	}
}
