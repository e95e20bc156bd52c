package proxy_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinariesStayLean: mesh-proxy and mesh-init are small static programs that talk to meshd and the
// kernel only; Kubernetes' client libraries, helm and kustomize would add tens of megabytes and
// minutes of build for nothing.
func TestBinariesStayLean(t *testing.T) {
	banned := []string{"k8s.io/", "sigs.k8s.io/", "helm.sh/", "github.com/spf13/cobra", "github.com/spf13/viper"}
	for _, cmd := range []string{"../cmd/mesh-init", "../cmd/mesh-proxy"} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", cmd).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "cannot find") || strings.Contains(string(out), "directory not found") {
				t.Errorf("%s: not built yet: %s", cmd, out)
				continue
			}
			t.Fatalf("go list %s: %v: %s", cmd, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list %s found only %v: the test is not looking at the program", cmd, deps)
		}
		for _, d := range deps {
			for _, b := range banned {
				if strings.HasPrefix(d, b) {
					t.Errorf("%s depends on %s", cmd, d)
				}
			}
		}
	}
}
