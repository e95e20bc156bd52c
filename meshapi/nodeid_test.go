package meshapi

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseNodeID(t *testing.T) {
	tests := []struct {
		in                  string
		typ                 ProxyType
		ip, pod, ns, errHas string
	}{
		{in: "sidecar~10.244.0.7~productpage-v1-5f9dbcd669-abcde.default~default.svc.cluster.local",
			typ: Sidecar, ip: "10.244.0.7", pod: "productpage-v1-5f9dbcd669-abcde", ns: "default"},
		{in: "router~10.244.0.9~istio-ingressgateway-6c5d7b-x2k.istio-system~istio-system.svc.cluster.local",
			typ: Router, ip: "10.244.0.9", pod: "istio-ingressgateway-6c5d7b-x2k", ns: "istio-system"},
		{in: "sidecar~fd00::7~web.ns-1~ns-1.svc.example.org", typ: Sidecar, ip: "fd00::7", pod: "web", ns: "ns-1"},
		// Namespace from the id when the domain is empty, as some clients send it.
		{in: "sidecar~10.0.0.1~a.b.prod~", typ: Sidecar, ip: "10.0.0.1", pod: "a.b", ns: "prod"},
		{in: "sidecar~10.0.0.1~web.default", errHas: "want 4 fields"},
		{in: "ztunnel~10.0.0.1~web.default~default.svc.cluster.local", errHas: "proxy type"},
		{in: "sidecar~10.0.0.300~web.default~default.svc.cluster.local", errHas: "IP address"},
		{in: "sidecar~10.0.0.1~~default.svc.cluster.local", errHas: "empty pod.namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := ParseNodeID(tt.in)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Type != tt.typ || n.IP.String() != tt.ip || n.PodName() != tt.pod || n.Namespace() != tt.ns {
				t.Errorf("got %s %s %s %s, want %s %s %s %s", n.Type, n.IP, n.PodName(), n.Namespace(), tt.typ, tt.ip, tt.pod, tt.ns)
			}
			if n.String() != tt.in {
				t.Errorf("String() = %q, want %q", n.String(), tt.in)
			}
		})
	}
}

func TestNewNodeID(t *testing.T) {
	n := NewNodeID(Sidecar, netip.MustParseAddr("10.1.2.3"), "reviews-v2-x", "bookinfo", "cluster.local")
	if got, want := n.String(), "sidecar~10.1.2.3~reviews-v2-x.bookinfo~bookinfo.svc.cluster.local"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzParseNodeID(f *testing.F) {
	f.Add("sidecar~10.244.0.7~productpage-v1.default~default.svc.cluster.local")
	f.Add("router~fd00::1~gw.istio-system~istio-system.svc.cluster.local")
	f.Add("sidecar~1.2.3.4~x~")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNodeID(s)
		if err != nil {
			return
		}
		// What parses formats back to something that parses to the same id.
		again, err := ParseNodeID(n.String())
		if err != nil {
			t.Fatalf("%q parsed, its String %q does not: %v", s, n.String(), err)
		}
		if again != n {
			t.Fatalf("round trip of %q: %+v != %+v", s, again, n)
		}
		_ = n.PodName()
	})
}
