package root

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/cmd/meshctl/internal/cli/exitcode"
	"github.com/meshctl/meshctl/internal/golden"
)

// run executes meshctl in-process with env as its whole environment.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	if _, ok := env["HOME"]; !ok {
		t.Setenv("HOME", t.TempDir()) // never read the developer's config
	}
	if _, ok := env["XDG_CONFIG_HOME"]; !ok {
		t.Setenv("XDG_CONFIG_HOME", "")
	}
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// mustRun is run for a command that must succeed.
func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := run(t, env, stdin, args...)
	if code != 0 {
		t.Fatalf("meshctl %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout, stderr
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  componentz: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A cluster that refuses connections: 127.0.0.1:1.
	dead := filepath.Join(dir, "dead-kubeconfig")
	if err := os.WriteFile(dead, []byte(`apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: dead, context: {cluster: dead, user: u}}]
current-context: dead
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"ok", []string{"version", "--short"}, 0, ""},
		{"unknown command", []string{"instal"}, 64, "unknown command"},
		{"unknown flag", []string{"version", "--shortt"}, 64, "unknown flag"},
		{"bad output format", []string{"version", "-o", "xml"}, 64, "unknown output format"},
		{"too many args", []string{"profile", "dump", "a", "b"}, 64, "accepts at most 1 arg"},
		{"bad input file", []string{"manifest", "generate", "-f", bad}, 65, bad + ":4: spec.componentz: unknown field"},
		{"missing file", []string{"manifest", "generate", "-f", filepath.Join(dir, "nope.yaml")}, 65, "nope.yaml: cannot read"},
		{"bad set", []string{"manifest", "generate", "--set", "componentz.x=1"}, 65, "did you mean spec.components?"},
		{"unknown profile", []string{"profile", "dump", "demoo"}, 65, `unknown profile "demoo" (did you mean "demo"?)`},
		// The diff commands exit as diff(1) does: 0 same, 1 different, 2 trouble; usage and bad input keep theirs.
		{"profiles differ", []string{"profile", "diff", "default", "demo"}, 1, ""},
		{"profiles same", []string{"profile", "diff", "demo", "demo"}, 0, ""},
		{"profile diff, unknown profile", []string{"profile", "diff", "demo", "demoo"}, 65, `unknown profile "demoo"`},
		{"profile diff, bad file", []string{"profile", "diff", "demo", bad}, 65, bad + ":4: spec.componentz: unknown field"},
		{"profile diff, one argument", []string{"profile", "diff", "demo"}, 64, "accepts 2 arg(s)"},
		{"manifest diff, no cluster", []string{"manifest", "diff", "--kubeconfig", dead}, 2, "no cluster reachable"},
		{"manifest diff, no kubeconfig", []string{"manifest", "diff", "--kubeconfig", filepath.Join(dir, "nope")}, 2, "no cluster reachable"},
		{"manifest diff, bad input", []string{"manifest", "diff", "-f", bad, "--kubeconfig", dead}, 65, bad + ":4: spec.componentz: unknown field"},
		{"manifest diff, bad flag", []string{"manifest", "diff", "-o", "table"}, 64, "unknown output format"},
		{"install --dry-run --diff, no cluster", []string{"install", "--dry-run", "--diff", "--kubeconfig", dead}, 2, "no cluster reachable"},
		{"install --dry-run --diff, bad input", []string{"install", "--dry-run", "--diff", "-f", bad, "--kubeconfig", dead}, 65, "spec.componentz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr: %s)", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.inStderr)
			}
		})
	}
}

func TestVersionOutputs(t *testing.T) {
	short, _ := mustRun(t, nil, "", "version", "--short")
	if strings.TrimSpace(short) == "" || strings.Contains(short, " ") {
		t.Errorf("--short printed %q", short)
	}
	js, _ := mustRun(t, nil, "", "version", "-o", "json")
	var v struct {
		ClientVersion struct {
			Version, GitCommit string
		}
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil || v.ClientVersion.Version != strings.TrimSpace(short) {
		t.Errorf("json output %q: %v", js, err)
	}
	y, _ := mustRun(t, nil, "", "version", "-o", "yaml")
	if !strings.Contains(y, "clientVersion:") {
		t.Errorf("yaml output %q", y)
	}
}

func TestConfigDefaultsFromEnvAndFile(t *testing.T) {
	cfgDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfgDir, "meshctl"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "meshctl", "config.yaml"), []byte("output: json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The file's default applies to every command with the flag.
	out, stderr := mustRun(t, map[string]string{"XDG_CONFIG_HOME": cfgDir}, "", "profile", "list")
	if !strings.HasPrefix(strings.TrimSpace(out), "[") {
		t.Errorf("config file output: json not applied: %q %s", out, stderr)
	}
	// The environment beats the file, and the command line beats both.
	out, _ = mustRun(t, map[string]string{"XDG_CONFIG_HOME": cfgDir, "MESHCTL_OUTPUT": "yaml"}, "", "profile", "list")
	if !strings.HasPrefix(out, "- description:") {
		t.Errorf("MESHCTL_OUTPUT=yaml not applied: %q", out)
	}
	out, _ = mustRun(t, map[string]string{"XDG_CONFIG_HOME": cfgDir, "MESHCTL_OUTPUT": "yaml"}, "", "profile", "list", "-o", "table")
	if !strings.Contains(out, "NAME") {
		t.Errorf("-o table did not win: %q", out)
	}
	// A broken config file is bad input, named.
	if err := os.WriteFile(filepath.Join(cfgDir, "meshctl", "config.yaml"), []byte("output: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, map[string]string{"XDG_CONFIG_HOME": cfgDir}, "", "profile", "list")
	if code != 65 || !strings.Contains(stderr, "config.yaml") {
		t.Errorf("broken config: exit %d, stderr %q", code, stderr)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, _ := run(t, nil, "", "completion", shell)
		if code != 0 || !strings.Contains(out, "meshctl") {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(out))
		}
	}
	if code, _, _ := run(t, nil, "", "completion", "tcsh"); code != 64 {
		t.Errorf("completion tcsh: exit %d, want 64", code)
	}
}

func TestManifestGenerate(t *testing.T) {
	code, out, stderr := run(t, nil, "", "manifest", "generate", "--set", "profile=demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr must be empty: %q", stderr)
	}
	again, _ := mustRun(t, nil, "", "manifest", "generate", "--set", "profile=demo")
	if out != again {
		t.Error("two runs differ")
	}
	kinds := map[string]int{}
	for _, doc := range strings.Split(out, "\n---\n") {
		var o struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		kinds[o.Kind]++
	}
	if kinds["CustomResourceDefinition"] != 15 || kinds["Deployment"] != 3 {
		t.Errorf("demo kinds: %v", kinds)
	}
	// Stdin as an IstioOperator file.
	code, out, stderr = run(t, nil, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n", "manifest", "generate", "-f", "-", "--component", "pilot")
	if code != 0 || strings.Contains(out, "CustomResourceDefinition") || !strings.Contains(out, "name: istiod") {
		t.Errorf("-f - --component pilot: exit %d %s", code, stderr)
	}
	// -o DIR writes one file per component.
	dir := t.TempDir()
	if code, _, stderr := run(t, nil, "", "manifest", "generate", "--set", "profile=demo", "-o", dir); code != 0 {
		t.Fatalf("-o dir: exit %d %s", code, stderr)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "base.yaml,egressGateways.yaml,ingressGateways.yaml,pilot.yaml" {
		t.Errorf("files: %v", names)
	}
}

func TestProfileCommands(t *testing.T) {
	out, _ := mustRun(t, nil, "", "profile", "list", "-o", "json")
	var list []struct{ Name, Description string }
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 8 {
		t.Fatalf("profile list -o json: %v %q", err, out)
	}
	for _, p := range list {
		if p.Description == "" {
			t.Errorf("profile %s has no description", p.Name)
		}
	}
	out, _ = mustRun(t, nil, "", "profile", "dump", "--config-path", "spec.components.egressGateways[0]", "demo")
	if !strings.Contains(out, "enabled: true") || !strings.Contains(out, "name: istio-egressgateway") {
		t.Errorf("dump --config-path: %q", out)
	}
	out, _ = mustRun(t, nil, "", "profile", "dump", "-o", "flags", "demo")
	if !strings.Contains(out, "--set components.egressGateways[0].enabled=true\n") || !strings.Contains(out, "--set meshConfig.accessLogFile=/dev/stdout\n") {
		t.Errorf("dump -o flags: %q", out)
	}
	code, out, _ := run(t, nil, "", "profile", "diff", "default", "demo")
	if code != 1 || !strings.Contains(out, "--- default\n+++ demo\n") || !strings.Contains(out, "+    accessLogFile: /dev/stdout") {
		t.Errorf("diff: exit %d %q", code, out)
	}
}

func TestGoldenProfileDumps(t *testing.T) {
	for _, p := range []string{"ambient", "default", "demo", "empty", "minimal", "openshift", "preview", "remote"} {
		code, out, stderr := run(t, nil, "", "profile", "dump", p, "--set", "tag=1.0.0")
		if code != 0 {
			t.Fatalf("%s: exit %d %s", p, code, stderr)
		}
		golden.Check(t, filepath.Join("testdata", "dump-"+p+".yaml"), []byte(out))
	}
}

// TestReportCtrlC: the user's own Ctrl-C exits 130 without an "Error:" line (docs/dashboard.md shows
// none); an interruption wrapped with what was being done is still printed.
func TestReportCtrlC(t *testing.T) {
	var out bytes.Buffer
	if code := report(context.Canceled, &out); code != exitcode.Interrupted || out.Len() != 0 {
		t.Errorf("bare context.Canceled: exit %d, printed %q; want exit %d and nothing", code, out.String(), exitcode.Interrupted)
	}
	out.Reset()
	if code := report(fmt.Errorf("wait for istiod: %w", context.Canceled), &out); code != exitcode.Interrupted || !strings.Contains(out.String(), "Error: wait for istiod: context canceled") {
		t.Errorf("wrapped context.Canceled: exit %d, printed %q", code, out.String())
	}
}
