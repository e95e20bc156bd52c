package install_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/root"
	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

type result struct {
	code           int
	stdout, stderr string
}

// meshctl runs the whole command tree in-process, as a user would type the command.
func meshctl(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := root.Run(context.Background(), args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	t.Logf("meshctl %s: exit %d in %s\n%s", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond), errOut.String())
	return result{code, out.String(), errOut.String()}
}

// TestUserJourney is the story end to end through the command line: precheck, install (with
// --kubeconfig, then --context), verify-install, version, manifest diff, dry runs, JSON progress,
// uninstall --purge, and what happens without a terminal or without a cluster.
func TestUserJourney(t *testing.T) {
	env := testenv.Get(t)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	kc := []string{"--kubeconfig", env.Kubeconfig}
	with := func(args ...string) []string { return append(args, kc...) }
	t.Cleanup(func() {
		if r := meshctl(t, with("uninstall", "--purge", "-y")...); r.code != 0 {
			t.Errorf("cleanup: uninstall --purge: exit %d\n%s", r.code, r.stderr)
		}
	})

	if r := meshctl(t, with("x", "precheck")...); r.code != 0 || !strings.Contains(r.stdout, "✔ No issues found") {
		t.Fatalf("x precheck: exit %d\n%s", r.code, r.stdout)
	}
	if r := meshctl(t, with("precheck", "-o", "json")...); r.code != 0 || !json.Valid([]byte(r.stdout)) {
		t.Errorf("precheck -o json: exit %d\n%s", r.code, r.stdout)
	}

	// Without a terminal and without -y, install refuses to prompt and changes nothing.
	if r := meshctl(t, with("install", "--set", "profile=demo")...); r.code != 64 || !strings.Contains(r.stderr, "pass -y") {
		t.Errorf("install without -y: exit %d, stderr %q", r.code, r.stderr)
	}

	r := meshctl(t, with("install", "--set", "profile=demo", "-y")...)
	want := "✔ Mesh core installed\n✔ Istiod installed\n✔ Egress gateways installed\n✔ Ingress gateways installed\n✔ Installation complete\n"
	if r.code != 0 || r.stderr != want {
		t.Fatalf("install: exit %d, stderr:\n%s\nwant:\n%s", r.code, r.stderr, want)
	}

	// The same install through --context of a kubeconfig with two contexts changes nothing and says so.
	two := twoContexts(t, env.Kubeconfig)
	r = meshctl(t, "install", "--set", "profile=demo", "-y", "--kubeconfig", two, "--context", "testenv-admin")
	if r.code != 0 || !strings.Contains(r.stderr, "✔ Installation complete: nothing changed") {
		t.Errorf("second install via --context: exit %d\n%s", r.code, r.stderr)
	}
	if r := meshctl(t, "install", "--set", "profile=demo", "-y", "--kubeconfig", two); r.code != 1 || !strings.Contains(r.stderr, "no cluster reachable") || !strings.Contains(r.stderr, `context "nowhere"`) || !strings.Contains(r.stderr, two) {
		t.Errorf("install against an unreachable current context: exit %d\n%s", r.code, r.stderr)
	}

	if r := meshctl(t, with("verify-install")...); r.code != 0 || !strings.Contains(r.stdout, "42 ok, 0 missing, 0 drifted, 0 not ready") {
		t.Errorf("verify-install: exit %d\n%s", r.code, r.stdout)
	}
	if r := meshctl(t, with("version")...); r.code != 0 || !strings.Contains(r.stdout, "control plane version: ") || !strings.Contains(r.stdout, "revision default, profile demo") {
		t.Errorf("version: exit %d\n%s", r.code, r.stdout)
	}
	if r := meshctl(t, with("manifest", "diff", "--set", "profile=demo")...); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "No differences") {
		t.Errorf("manifest diff, same config: exit %d\n%s", r.code, r.stdout)
	}
	r = meshctl(t, with("manifest", "diff", "--set", "profile=default")...)
	if r.code != 1 || !strings.Contains(r.stdout, "--- live/Deployment/istio-system/istio-egressgateway\n+++ install/Deployment/istio-system/istio-egressgateway") ||
		!strings.Contains(r.stdout, "+++ install/HorizontalPodAutoscaler/istio-system/istiod") {
		t.Errorf("manifest diff to default: exit %d\n%s", r.code, r.stdout)
	}
	if r2 := meshctl(t, with("install", "--set", "profile=default", "--dry-run", "--diff")...); r2.code != 1 || r2.stdout != r.stdout {
		t.Errorf("install --dry-run --diff differs from manifest diff: exit %d", r2.code)
	}
	// Like diff(1), 2 when there is nothing to compare with: never 1, which says "different".
	for _, args := range [][]string{{"manifest", "diff"}, {"install", "--dry-run", "--diff"}} {
		r := meshctl(t, append(args, "--set", "profile=default", "--kubeconfig", two)...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "no cluster reachable") || !strings.Contains(r.stderr, `context "nowhere"`) {
			t.Errorf("%s against an unreachable cluster: exit %d, want 2\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	r = meshctl(t, with("install", "--set", "profile=default", "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.stdout, "would prune      Deployment/istio-system/istio-egressgateway") || !strings.Contains(r.stdout, "would create     HorizontalPodAutoscaler/istio-system/istiod") {
		t.Errorf("install --dry-run: exit %d\n%s", r.code, r.stdout)
	}

	// Machines get one JSON event per line.
	r = meshctl(t, with("install", "--set", "profile=demo", "-y", "--progress=json")...)
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var e installer.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("--progress=json line %q: %v", line, err)
		}
		types = append(types, string(e.Type))
	}
	if r.code != 0 || !slices.Contains(types, "component-done") || types[len(types)-1] != "done" {
		t.Errorf("--progress=json: exit %d, event types %v", r.code, types)
	}

	if r := meshctl(t, with("uninstall")...); r.code != 64 {
		t.Errorf("uninstall without selection: exit %d", r.code)
	}
	r = meshctl(t, with("uninstall", "--purge", "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.stdout, "CustomResourceDefinition/virtualservices.networking.istio.io\n") {
		t.Errorf("uninstall --purge --dry-run: exit %d\n%s", r.code, r.stdout)
	}
	r = meshctl(t, with("uninstall", "--purge", "-y")...)
	if r.code != 0 || !strings.HasSuffix(r.stderr, "✔ Uninstall complete\n") {
		t.Errorf("uninstall --purge: exit %d\n%s", r.code, r.stderr)
	}
	if r := meshctl(t, with("verify-install")...); r.code != 79 || !strings.Contains(r.stderr, "no meshctl install found") {
		t.Errorf("verify-install after uninstall: exit %d\n%s", r.code, r.stderr)
	}
	if r := meshctl(t, with("version", "-o", "json")...); r.code != 0 || strings.Contains(r.stdout, "meshVersion") {
		t.Errorf("version after uninstall: exit %d\n%s", r.code, r.stdout)
	}
}

// twoContexts writes a kubeconfig whose current context points nowhere and whose "testenv-admin"
// context is the test cluster.
func twoContexts(t *testing.T, kubeconfig string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cur := cfg.Contexts[cfg.CurrentContext]
	admin := *cur
	cfg.Contexts["testenv-admin"] = &admin
	dead := *cfg.Clusters[cur.Cluster]
	dead.Server = "https://127.0.0.1:1"
	cfg.Clusters["dead"] = &dead
	nowhere := *cur
	nowhere.Cluster = "dead"
	cfg.Contexts["nowhere"] = &nowhere
	cfg.CurrentContext = "nowhere"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
