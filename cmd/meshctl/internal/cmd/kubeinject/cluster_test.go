package kubeinject

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/clitest"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/kubeyaml"
	"github.com/meshctl/meshctl/profiles"
)

// installInjectorConfigMaps creates the control plane's ConfigMaps in ns as the charts render them,
// with global.hub changed so that a test can tell they were used.
func installInjectorConfigMaps(t *testing.T, env *testenv.Env, ns, revision, hub string) {
	t.Helper()
	var sets []string
	if revision != "" {
		sets = []string{"revision=" + revision}
	}
	in, err := render.InjectionDefaults(profiles.Input{Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0", Sets: sets})
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(in.Values), &values); err != nil {
		t.Fatal(err)
	}
	values["global"].(map[string]any)["hub"] = hub
	valuesJSON, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	suffix := ""
	if revision != "" {
		suffix = "-" + revision
	}
	for name, data := range map[string]map[string]string{
		"istio-sidecar-injector" + suffix: {"config": in.Config, "values": string(valuesJSON)},
		"istio" + suffix:                  {"mesh": in.Mesh},
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
		if _, err := env.Client().CoreV1().ConfigMaps(ns).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestClusterInjectionIsAcceptedByTheAPIServer reads the injector's ConfigMaps from a real API server,
// injects every workload kind and annotation case of package inject's golden inputs, and has the API
// server validate each injected object with a server-side dry run.
func TestClusterInjectionIsAcceptedByTheAPIServer(t *testing.T) {
	env := testenv.Get(t)
	meshNS := env.Namespace(t)
	appNS := env.Namespace(t)
	installInjectorConfigMaps(t, env, meshNS, "", "registry.test/mesh")

	inputs, err := filepath.Glob("../../../../../inject/testdata/golden/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	var args, files []string
	for _, in := range inputs {
		if !strings.HasSuffix(in, ".out.yaml") && !strings.Contains(in, "values-") {
			files = append(files, in) // values-* cases need other chart values; the revision case has its own test
			args = append(args, "-f", in)
		}
	}
	r := run(t, env.Kubeconfig, "", func(o *Options) { o.f.IstioNamespace = meshNS }, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "image: registry.test/mesh/mesh-proxy:1.0.0") {
		t.Fatal("the output does not use the cluster's ConfigMaps (global.hub)")
	}
	if got := strings.Count(r.stderr, ": injected\n"); got < len(files)-8 {
		t.Errorf("only %d workloads injected:\n%s", got, r.stderr)
	}

	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(env.Client().Discovery()))
	reader := kubeyaml.NewReader(strings.NewReader(r.stdout), "stdout")
	checked := 0
	for {
		doc, err := reader.Next()
		if err != nil {
			break
		}
		objs, err := doc.ObjectValues()
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		for _, o := range objs {
			u := &unstructured.Unstructured{Object: o.Value}
			gvk := u.GroupVersionKind()
			mapping, err := mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
			if err != nil {
				continue // DeploymentConfig and the example.com "Deployment": not served by this cluster
			}
			u.SetNamespace(appNS)
			_, err = env.Dynamic().Resource(mapping.Resource).Namespace(appNS).Create(context.Background(), u,
				metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
			if err != nil {
				t.Errorf("the API server rejects %s %s: %v", gvk.Kind, u.GetName(), err)
			}
			checked++
		}
	}
	if checked < 25 {
		t.Errorf("only %d objects were checked", checked)
	}
}

func TestClusterRevision(t *testing.T) {
	env := testenv.Get(t)
	meshNS := env.Namespace(t)
	installInjectorConfigMaps(t, env, meshNS, "canary", "registry.test/canary")
	setNS := func(o *Options) { o.f.IstioNamespace = meshNS }

	r := run(t, env.Kubeconfig, sleepYAML, setNS, "-f", "-", "--revision", "canary")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	for _, want := range []string{"image: registry.test/canary/mesh-proxy:1.0.0", "istio.io/rev: canary", "value: istiod-canary." + "istio-system.svc:15012"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	r = run(t, env.Kubeconfig, sleepYAML, setNS, "-f", "-", "--revision", "stable")
	if r.code == 0 || !strings.Contains(r.err.Error(), "ConfigMap "+meshNS+"/istio-sidecar-injector-stable not found") ||
		!strings.Contains(r.err.Error(), "revision stable") || !strings.Contains(r.err.Error(), env.Kubeconfig) {
		t.Errorf("exit %d: %v", r.code, r.err)
	}
}

// TestFilesNeedNoCluster: with all three files, even a kubeconfig that points at a hanging server is
// never used; the files may be the ConfigMaps themselves, as kubectl prints them.
func TestFilesNeedNoCluster(t *testing.T) {
	in, err := render.InjectionDefaults(profiles.Input{Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	injector := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "istio-sidecar-injector"}, Data: map[string]string{"config": in.Config, "values": strings.Replace(in.Values, "ghcr.io/meshctl", "files.test/mesh", 1)}}
	raw, err := json.Marshal(injector)
	if err != nil {
		t.Fatal(err)
	}
	yamlCM, err := kubeyaml.AppendYAML(nil, mustValue(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	cmFile := writeFile(t, dir, "injector.yaml", string(yamlCM))
	meshFile := writeFile(t, dir, "mesh.yaml", in.Mesh)
	l := clitest.Listen(t, clitest.Hang)
	r := run(t, clitest.Kubeconfig(t, l.Addr()), sleepYAML, nil, "-f", "-", "--injectConfigFile", cmFile, "--valuesFile", cmFile, "--meshConfigFile", meshFile)
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if l.Connections(t) != 0 {
		t.Error("a cluster was contacted although the files give everything")
	}
	if !strings.Contains(r.stdout, "image: files.test/mesh/mesh-proxy:") {
		t.Errorf("the values file was not used:\n%s", r.stdout)
	}

	badMesh := writeFile(t, dir, "bad-mesh.yaml", "trustDomain: x\ndefaultConfig:\n  discoveryAdress: y\n")
	r = run(t, noKubeconfig(t), sleepYAML, nil, "-f", "-", "--meshConfigFile", badMesh)
	if r.code != 65 || !strings.HasPrefix(r.err.Error(), badMesh+":3: defaultConfig.discoveryAdress:") {
		t.Errorf("exit %d: %v", r.code, r.err)
	}
}

func mustValue(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
