package dashboard

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Registry() {
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			if seen[n] {
				t.Errorf("name %q used twice", n)
			}
			seen[n] = true
			if got, ok := Lookup(n); !ok || got.Name != d.Name {
				t.Errorf("Lookup(%q) = %q, %v", n, got.Name, ok)
			}
		}
		if d.RemotePort <= 0 || d.RemotePort > 65535 {
			t.Errorf("%s: remote port %d", d.Name, d.RemotePort)
		}
		if d.Path != "" && !strings.HasPrefix(d.Path, "/") {
			t.Errorf("%s: path %q must start with /", d.Name, d.Path)
		}
		if len(d.Selectors) == 0 && !d.PodArg {
			t.Errorf("%s: no selector and no POD argument: nothing can find its pod", d.Name)
		}
		for _, s := range d.Selectors {
			if _, err := labels.Parse(s); err != nil {
				t.Errorf("%s: selector %q: %v", d.Name, s, err)
			}
		}
	}
	want := map[string]int{"kiali": 20001, "prometheus": 9090, "grafana": 3000, "jaeger": 16686, "zipkin": 9411,
		"skywalking": 8080, "controlz": 9876, "proxy": 15000, "envoy": 15000, "istiod-debug": 15014}
	for name, port := range want {
		if d, ok := Lookup(name); !ok || d.RemotePort != port {
			t.Errorf("%s: port %d, found %v; want %d", name, d.RemotePort, ok, port)
		}
	}
	if d, _ := Lookup("kiali"); d.Path != "/kiali" || d.Selectors[0] != "app=kiali" {
		t.Errorf("kiali: %+v", d)
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) found something")
	}
	// Registry hands out copies: a caller changing one cannot change the next caller's.
	r := Registry()
	r[0].Selectors[0] = "changed"
	if Registry()[0].Selectors[0] == "changed" {
		t.Error("Registry shares its slices")
	}
}

func TestNotFoundMessage(t *testing.T) {
	d, _ := Lookup("kiali")
	err := &NotFoundError{Namespace: "istio-system", Selectors: d.Selectors, InstallHint: d.InstallHint}
	want := `no pod with label "app=kiali" or "app.kubernetes.io/name=kiali" in namespace istio-system; ` +
		`install it with: kubectl apply -f samples/addons/kiali.yaml`
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err, want)
	}
	err.Namespace = "monitoring"
	if !strings.HasSuffix(err.Error(), "(the samples install into istio-system)") {
		t.Fatalf("other namespace: %s", err)
	}
}
