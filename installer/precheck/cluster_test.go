package precheck_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"

	"github.com/meshctl/meshctl/installer"
	"github.com/meshctl/meshctl/installer/precheck"
	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/internal/testenv"
	"github.com/meshctl/meshctl/profiles"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func input(t *testing.T, cfg *rest.Config, sets ...string) precheck.Input {
	t.Helper()
	r, err := profiles.Resolve(profiles.Input{Sets: sets, Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := render.Generate(r.Operator, render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := installer.NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return precheck.Input{Clients: c, Manifest: m, Operator: r.Operator}
}

func byName(results []precheck.Result) map[string]precheck.Result {
	out := map[string]precheck.Result{}
	for _, r := range results {
		out[r.Name] = r
	}
	return out
}

func logResults(t *testing.T, results []precheck.Result) {
	t.Helper()
	for _, r := range results {
		t.Logf("%-8s %-20s %s", r.Status, r.Name, r.Reason)
	}
}

// TestNewest: on a clean cluster of the newest supported release, every check passes.
func TestNewest(t *testing.T) {
	env := testenv.Get(t)
	start := time.Now()
	results := precheck.Run(t.Context(), input(t, env.Config(), "profile=demo"))
	t.Logf("precheck took %s", time.Since(start).Round(time.Millisecond))
	logResults(t, results)
	if len(results) != len(precheck.Checks) {
		t.Fatalf("%d results for %d checks", len(results), len(precheck.Checks))
	}
	for _, r := range results {
		if r.Status != precheck.OK {
			t.Errorf("%s: %s: %s", r.Name, r.Status, r.Reason)
		}
		if !strings.HasPrefix(r.Doc, precheck.DocBase) || !strings.HasSuffix(r.Doc, "#"+r.Name) {
			t.Errorf("%s: doc link %s", r.Name, r.Doc)
		}
	}
	if got := byName(results)["kubernetes-version"].Reason; !strings.Contains(got, testenv.Newest) {
		t.Errorf("version reason %q does not name %s", got, testenv.Newest)
	}
}

// TestPodSecurityBlocksInjection: an injected namespace that enforces baseline fails the check.
func TestPodSecurityBlocksInjection(t *testing.T) {
	env := testenv.Get(t)
	ns := env.Namespace(t)
	patch := `{"metadata":{"labels":{"istio-injection":"enabled","pod-security.kubernetes.io/enforce":"baseline"}}}`
	if _, err := env.Client().CoreV1().Namespaces().Patch(t.Context(), ns, "application/merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	r := byName(precheck.Run(t.Context(), input(t, env.Config(), "profile=demo")))["pod-security"]
	if r.Status != precheck.Error || !strings.Contains(r.Reason, ns+" (baseline)") {
		t.Errorf("pod-security: %s %s", r.Status, r.Reason)
	}
	r = byName(precheck.Run(t.Context(), input(t, env.Config(), "profile=demo", "components.cni.enabled=true")))["pod-security"]
	if r.Status != precheck.OK {
		t.Errorf("pod-security with the CNI: %s %s", r.Status, r.Reason)
	}
}

// TestOldest: the oldest supported release passes the version check and accepts the manifest.
func TestOldest(t *testing.T) {
	env := testenv.StartVersion(t, testenv.Oldest, testenv.Options{Components: testenv.APIOnly})
	results := precheck.Run(t.Context(), input(t, env.Config(), "profile=demo"))
	logResults(t, results)
	got := byName(results)
	if r := got["kubernetes-version"]; r.Status != precheck.OK || !strings.Contains(r.Reason, testenv.Oldest) {
		t.Errorf("kubernetes-version on %s: %s %s", testenv.Oldest, r.Status, r.Reason)
	}
	for _, name := range []string{"permissions", "dry-run", "crd-versions", "webhooks", "existing-install"} {
		if r := got[name]; r.Status != precheck.OK {
			t.Errorf("%s on %s: %s %s", name, testenv.Oldest, r.Status, r.Reason)
		}
	}
}

// fakeAPIServer answers /version with v and everything else with 404, as a discovery endpoint of a
// release outside the supported range would (the other checks fail; the run continues).
func fakeAPIServer(t *testing.T, v string) *rest.Config {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(version.Info{Major: "1", Minor: strings.Split(v, ".")[1], GitVersion: v})
	}))
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL, Timeout: 5 * time.Second}
}

func TestVersionsOutsideTheRange(t *testing.T) {
	tests := []struct {
		version string
		want    precheck.Status
		inMsg   []string
	}{
		{"v1.30.4", precheck.Error, []string{"v1.30.4", "1.33", "1.33 to 1.37"}},
		{"v1.39.0", precheck.Warning, []string{"v1.39.0", "1.37", "1.33 to 1.37"}},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			results := precheck.Run(ctx, input(t, fakeAPIServer(t, tc.version), "profile=demo"))
			logResults(t, results)
			if len(results) != len(precheck.Checks) {
				t.Fatalf("precheck stopped early: %d of %d results", len(results), len(precheck.Checks))
			}
			r := byName(results)["kubernetes-version"]
			if r.Status != tc.want {
				t.Errorf("status %s, want %s (%s)", r.Status, tc.want, r.Reason)
			}
			for _, w := range tc.inMsg {
				if !strings.Contains(r.Reason, w) {
					t.Errorf("reason %q lacks %q", r.Reason, w)
				}
			}
			// The checks after it ran, and failed because the fake server knows nothing else.
			if s := precheck.Summarize(results); s.Errors < 2 {
				t.Errorf("summary %+v: the other checks did not run against the fake server", s)
			}
		})
	}
}
