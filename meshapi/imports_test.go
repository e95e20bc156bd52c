package meshapi_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsStayLean: mesh-proxy imports meshapi and must never pull in client-go or apimachinery, so
// meshapi imports the standard library and istio.io/api only, and nothing it depends on reaches into
// Kubernetes' libraries or back into meshctl.
func TestImportsStayLean(t *testing.T) {
	list := func(format string, deps bool) []string {
		args := []string{"list", "-f", format}
		if deps {
			args = append(args, "-deps")
		}
		out, err := exec.Command("go", append(args, ".")...).Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		return strings.Fields(string(out))
	}
	direct := list(`{{join .Imports " "}}`, false)
	if len(direct) == 0 {
		t.Fatal("go list found no imports: the test is not looking at meshapi")
	}
	for _, p := range direct {
		if !isStandard(p) && !strings.HasPrefix(p, "istio.io/api/") {
			t.Errorf("meshapi imports %s: only the standard library and istio.io/api are allowed", p)
		}
	}
	for _, p := range list(`{{if not .Standard}}{{.ImportPath}}{{end}}`, true) {
		for _, banned := range []string{"k8s.io/", "sigs.k8s.io/", "github.com/meshctl/meshctl/"} {
			if strings.HasPrefix(p, banned) && p != "github.com/meshctl/meshctl/meshapi" {
				t.Errorf("meshapi depends on %s", p)
			}
		}
	}
}

// isStandard: a standard library path has no dot in its first element.
func isStandard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
