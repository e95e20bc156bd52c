package translate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/controlplane/model"
)

// pa is a PeerAuthentication as YAML: namespace, name, creation (for conflicts), selector app (""
// none), mode, and port-level overrides "PORT=MODE".
func pa(ns, name, created, app, mode string, ports ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: %s\n  namespace: %s\n  creationTimestamp: %q\nspec:\n", name, ns, created)
	if app != "" {
		fmt.Fprintf(&b, "  selector:\n    matchLabels:\n      app: %s\n", app)
	}
	if mode != "" {
		fmt.Fprintf(&b, "  mtls:\n    mode: %s\n", mode)
	}
	if len(ports) > 0 {
		b.WriteString("  portLevelMtls:\n")
		for _, p := range ports {
			port, m, _ := strings.Cut(p, "=")
			fmt.Fprintf(&b, "    %s:\n      mode: %s\n", port, m)
		}
	}
	return b.String()
}

const (
	t1 = "2026-01-01T00:00:00Z"
	t2 = "2026-02-01T00:00:00Z"
)

// TestPeerAuthenticationPrecedence: Istio's order mesh < namespace < workload < port, UNSET
// inheriting, the oldest of conflicting policies winning, selectors and port levels where Istio reads
// them.
func TestPeerAuthenticationPrecedence(t *testing.T) {
	for _, c := range []struct {
		name     string
		policies []string
		ns, app  string
		port     uint32
		want     mtlsMode
	}{
		{"nothing: PERMISSIVE", nil, "default", "web", 80, modePermissive},
		{"mesh-wide", []string{pa("istio-system", "default", t1, "", "STRICT")}, "default", "web", 80, modeStrict},
		{"a mesh policy with a selector is the root namespace's workloads only", []string{pa("istio-system", "x", t1, "web", "STRICT")}, "default", "web", 80, modePermissive},
		{"namespace over mesh", []string{pa("istio-system", "default", t1, "", "STRICT"), pa("default", "default", t1, "", "DISABLE")}, "default", "web", 80, modeDisable},
		{"another namespace's policy", []string{pa("other", "default", t1, "", "STRICT")}, "default", "web", 80, modePermissive},
		{"namespace UNSET inherits the mesh", []string{pa("istio-system", "default", t1, "", "STRICT"), pa("default", "default", t1, "", "UNSET")}, "default", "web", 80, modeStrict},
		{"workload over namespace", []string{pa("default", "default", t1, "", "STRICT"), pa("default", "web", t1, "web", "PERMISSIVE")}, "default", "web", 80, modePermissive},
		{"a selector that does not match", []string{pa("default", "default", t1, "", "STRICT"), pa("default", "db", t1, "db", "DISABLE")}, "default", "web", 80, modeStrict},
		{"workload UNSET inherits", []string{pa("default", "default", t1, "", "STRICT"), pa("default", "web", t1, "web", "")}, "default", "web", 80, modeStrict},
		{"port over workload", []string{pa("default", "web", t1, "web", "STRICT", "80=DISABLE")}, "default", "web", 80, modeDisable},
		{"another port keeps the workload's", []string{pa("default", "web", t1, "web", "STRICT", "81=DISABLE")}, "default", "web", 80, modeStrict},
		{"port UNSET inherits the workload's", []string{pa("istio-system", "default", t1, "", "DISABLE"), pa("default", "web", t1, "web", "STRICT", "80=UNSET")}, "default", "web", 80, modeStrict},
		{"port levels without a selector are ignored", []string{pa("default", "default", t1, "", "STRICT", "80=DISABLE")}, "default", "web", 80, modeStrict},
		{"the oldest workload policy wins", []string{pa("default", "b-new", t2, "web", "DISABLE"), pa("default", "a-old", t1, "web", "STRICT")}, "default", "web", 80, modeStrict},
		{"the oldest namespace policy wins", []string{pa("default", "a", t2, "", "DISABLE"), pa("default", "b", t1, "", "STRICT")}, "default", "web", 80, modeStrict},
		{"same age: the name decides", []string{pa("default", "b", t1, "", "DISABLE"), pa("default", "a", t1, "", "STRICT")}, "default", "web", 80, modeStrict},
		{"the root namespace's own workloads", []string{pa("istio-system", "default", t1, "", "PERMISSIVE"), pa("istio-system", "gw", t1, "web", "STRICT")}, "istio-system", "web", 80, modeStrict},
	} {
		t.Run(c.name, func(t *testing.T) {
			objs, err := model.DecodeYAML(strings.NewReader(strings.Join(c.policies, "---\n")))
			if err != nil {
				t.Fatal(err)
			}
			s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
			if err != nil {
				t.Fatal(err)
			}
			if got := workloadPeerPolicy(s, c.ns, map[string]string{"app": c.app}).at(c.port); got != c.want {
				t.Errorf("mode %s, want %s", got, c.want)
			}
		})
	}
}

// TestAutoMTLSFollowsTheServerNamespace: a namespace (or mesh) that disables mTLS gets plaintext
// clusters; STRICT or PERMISSIVE ones auto mTLS; enableAutoMtls false turns it off.
func TestAutoMTLSFollowsTheServerNamespace(t *testing.T) {
	svc := &model.Service{Hostname: "web.legacy.svc.cluster.local", Namespace: "legacy", Resolution: model.ResolveEDS}
	for _, c := range []struct {
		name     string
		policies []string
		mesh     string
		want     bool
	}{
		{"default", nil, "", true},
		{"namespace DISABLE", []string{pa("legacy", "default", t1, "", "DISABLE")}, "", false},
		{"mesh DISABLE", []string{pa("istio-system", "default", t1, "", "DISABLE")}, "", false},
		{"mesh DISABLE, namespace STRICT", []string{pa("istio-system", "default", t1, "", "DISABLE"), pa("legacy", "default", t1, "", "STRICT")}, "", true},
		{"a workload DISABLE does not count", []string{pa("legacy", "w", t1, "web", "DISABLE")}, "", true},
		{"enableAutoMtls false", nil, "enableAutoMtls: false", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			objs, err := model.DecodeYAML(strings.NewReader(strings.Join(c.policies, "---\n")))
			if err != nil {
				t.Fatal(err)
			}
			s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
			if err != nil {
				t.Fatal(err)
			}
			if c.mesh != "" {
				if s.Mesh, err = model.ParseMeshConfig(c.mesh); err != nil {
					t.Fatal(err)
				}
			}
			cl := outboundCluster(s, svc, model.Port{Name: "http", Port: 80}, "", nil)
			if got := len(cl.TransportSocketMatches) > 0; got != c.want {
				t.Errorf("auto mTLS %v, want %v", got, c.want)
			}
		})
	}
}
