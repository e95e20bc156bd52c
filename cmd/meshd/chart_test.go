package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/installer/render"
	"github.com/meshctl/meshctl/profiles"
)

// TestChartRunsMeshd: the istiod Deployment every profile renders passes arguments meshd accepts,
// and its ports and readiness probe are where those arguments put meshd's servers.
func TestChartRunsMeshd(t *testing.T) {
	for _, p := range []string{"default", "demo", "minimal"} {
		t.Run(p, func(t *testing.T) {
			r, err := profiles.Resolve(profiles.Input{Profile: p, Charts: render.EmbeddedCharts(), DefaultTag: "1.0.0",
				Sets: []string{"values.global.logging.level=default:debug,ads:info"}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := render.Generate(r.Operator, render.Options{})
			if err != nil {
				t.Fatal(err)
			}
			obj := m.Find("Deployment", "istio-system", "istiod")
			if obj == nil {
				t.Fatal("no Deployment istio-system/istiod")
			}
			var d appsv1.Deployment
			if err := yaml.Unmarshal(obj.YAML, &d); err != nil {
				t.Fatal(err)
			}
			c := d.Spec.Template.Spec.Containers[0]
			o := options{}
			var stderr bytes.Buffer
			fs := o.flags(&stderr)
			if err := fs.Parse(c.Args); err != nil || fs.NArg() > 0 {
				t.Fatalf("meshd refuses the chart's args %q: %v %s", c.Args, err, stderr.String())
			}
			if o.logLevel != "debug" {
				t.Errorf("--log-level %q from default:debug,ads:info, want debug", o.logLevel)
			}
			ports := map[int32]bool{}
			for _, cp := range c.Ports {
				ports[cp.ContainerPort] = true
			}
			for _, addr := range []string{o.ReadyAddr, o.XDSAddr, o.SecureXDSAddr, o.MonitoringAddr, o.security.WebhookAddr} {
				n, err := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
				if err != nil || !ports[int32(n)] {
					t.Errorf("meshd listens on %q, not a container port of the chart's (%v)", addr, c.Ports)
				}
			}
			// The Go runtime collects harder as meshd nears its container's memory limit, as
			// istiod's chart does it.
			memLimit := false
			for _, e := range c.Env {
				if e.Name == "GOMEMLIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
					e.ValueFrom.ResourceFieldRef.Resource == "limits.memory" && e.ValueFrom.ResourceFieldRef.ContainerName == "" {
					memLimit = true
				}
			}
			if !memLimit {
				t.Error("no GOMEMLIMIT from the container's limits.memory")
			}
			if rp := c.ReadinessProbe; rp == nil || rp.HTTPGet == nil || rp.HTTPGet.Path != "/ready" || ":"+rp.HTTPGet.Port.String() != o.ReadyAddr {
				t.Errorf("readiness probe %+v, want GET /ready on %s", rp, o.ReadyAddr)
			}
		})
	}
}
