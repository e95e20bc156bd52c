package root

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestIstioNamespaceDefaults: -i/--istioNamespace from MESHCTL_ISTIONAMESPACE or the config file reaches the
// command, which looks for the control plane there; the flag wins over both.
func TestIstioNamespaceDefaults(t *testing.T) {
	env := testenv.Get(t)
	fromEnv, fromFile, fromFlag := env.Namespace(t), env.Namespace(t), env.Namespace(t)
	cfgDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfgDir, "meshctl"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "meshctl", "config.yaml"), []byte("istioNamespace: "+fromFile+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", nil, nil, "istio-system"},
		{"environment", map[string]string{"MESHCTL_ISTIONAMESPACE": fromEnv}, nil, fromEnv},
		{"config file", map[string]string{"XDG_CONFIG_HOME": cfgDir}, nil, fromFile},
		{"environment over config file", map[string]string{"XDG_CONFIG_HOME": cfgDir, "MESHCTL_ISTIONAMESPACE": fromEnv}, nil, fromEnv},
		{"flag over both", map[string]string{"XDG_CONFIG_HOME": cfgDir, "MESHCTL_ISTIONAMESPACE": fromEnv}, []string{"-i", fromFlag}, fromFlag},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr := mustRun(t, tc.env, "", append([]string{"version", "--kubeconfig", env.Kubeconfig}, tc.args...)...)
			if want := "control plane version: none installed in namespace " + tc.want + "\n"; !strings.HasSuffix(out, want) {
				t.Errorf("stdout %q lacks %q\nstderr: %s", out, want, stderr)
			}
		})
	}
}
