package translate_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/internal/golden"
	"github.com/meshctl/meshctl/meshapi"
	proxyxds "github.com/meshctl/meshctl/proxy/xds"
	"github.com/meshctl/meshctl/xdscontract"
)

const samples = "../../manifests/samples/"

// The proxies of the corpus, as they identify themselves.
var (
	sleepProxy = &translate.Proxy{
		ID:   meshapi.NewNodeID(meshapi.Sidecar, netip.MustParseAddr("10.244.0.20"), "sleep-6d8f-x", "default", "cluster.local"),
		Meta: meshapi.NodeMetadata{Namespace: "default", Labels: map[string]string{"app": "sleep"}, PodPorts: `[{"name":"http","containerPort":8000}]`},
	}
	productpageProxy = &translate.Proxy{
		ID:   meshapi.NewNodeID(meshapi.Sidecar, netip.MustParseAddr("10.244.0.31"), "productpage-v1-7f9d-z", "default", "cluster.local"),
		Meta: meshapi.NodeMetadata{Namespace: "default", Labels: map[string]string{"app": "productpage", "version": "v1"}},
	}
	gatewayProxy = &translate.Proxy{
		ID:   meshapi.NewNodeID(meshapi.Router, netip.MustParseAddr("10.244.0.5"), "istio-ingressgateway-5c4f-y", "istio-system", "cluster.local"),
		Meta: meshapi.NodeMetadata{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}},
	}
)

var (
	nginxFiles = []string{samples + "nginx/nginx.yaml", samples + "nginx/networking/destination-rule.yaml",
		samples + "nginx/networking/virtual-service.yaml", samples + "nginx/networking/nginx-gateway.yaml", "testdata/cluster.yaml"}
	bookinfoFiles = []string{samples + "bookinfo/platform/kube/bookinfo.yaml", samples + "bookinfo/networking/destination-rule-all.yaml",
		samples + "bookinfo/networking/virtual-service-reviews-test-v2.yaml", "testdata/cluster.yaml", "testdata/bookinfo-endpoints.yaml"}
)

// corpus is every case of the golden tests, which the contract test walks too.
var corpus = []struct {
	name  string
	files []string
	proxy *translate.Proxy
}{
	{"nginx-sidecar", nginxFiles, sleepProxy},
	{"nginx-gateway", nginxFiles, gatewayProxy},
	{"bookinfo-reviews", bookinfoFiles, productpageProxy},
	{"sidecar-default-scope", append(append([]string{}, nginxFiles...), "testdata/other-namespace.yaml"), sleepProxy},
	{"registry-only", []string{"testdata/cluster.yaml", "testdata/registry-only.yaml"}, sleepProxy},
	{"rules-sidecar", []string{"testdata/cluster.yaml", "testdata/rules.yaml"}, sleepProxy},
	{"rules-gateway", []string{"testdata/cluster.yaml", "testdata/rules.yaml"}, gatewayProxy},
	{"sidecar-port", append(append([]string{}, nginxFiles...), "testdata/other-namespace.yaml", "testdata/sidecar-port.yaml"), sleepProxy},
	{"sidecar-narrowed", append(append([]string{}, nginxFiles...), "testdata/other-namespace.yaml", "testdata/sidecar-narrow.yaml"), sleepProxy},
	{"sniffed-sidecar", []string{"testdata/cluster.yaml", "testdata/sniffed.yaml"}, sleepProxy},
	{"peerauth-sidecar", append(append([]string{}, nginxFiles...), "testdata/peerauth.yaml"), sleepProxy},
	{"authz-sidecar", []string{"testdata/cluster.yaml", "testdata/authz.yaml"}, sleepProxy},
	{"authz-gateway", append(append([]string{}, nginxFiles...), "testdata/authz.yaml"), gatewayProxy},
}

func load(t testing.TB, files []string) *model.Snapshot {
	t.Helper()
	var objs []runtime.Object
	for _, f := range files {
		b, err := os.ReadFile(filepath.FromSlash(f))
		if err != nil {
			t.Fatal(err)
		}
		o, err := model.DecodeYAML(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		objs = append(objs, o...)
	}
	s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// render is the resources as YAML, by type (alphabetical is the order a proxy asks for them: CDS,
// EDS, LDS, RDS, then SDS), each sorted by name.
func render(t testing.TB, res map[string][]types.Resource) []byte {
	t.Helper()
	out := map[string][]any{}
	for key, typ := range map[string]string{"clusters": resourcev3.ClusterType, "endpoints": resourcev3.EndpointType,
		"listeners": resourcev3.ListenerType, "routes": resourcev3.RouteType, "secrets": resourcev3.SecretType} {
		if key == "secrets" && len(res[typ]) == 0 {
			continue // sidecars, and gateways without credentials: no key, as before SDS
		}
		out[key] = []any{}
		for _, r := range res[typ] {
			b, err := protojson.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			out[key] = append(out[key], v)
		}
	}
	y, err := yaml.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func TestGolden(t *testing.T) {
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			s := load(t, c.files)
			res, err := translate.Generate(s, c.proxy)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "testdata/"+c.name+".golden.yaml", render(t, res))
		})
	}
}

// TestCorpusKeepsTheContract: every resource meshd generates for the corpus holds only what the
// proxy accepts (docs/xds.md).
func TestCorpusKeepsTheContract(t *testing.T) {
	n := 0
	for _, c := range corpus {
		res, err := translate.Generate(load(t, c.files), c.proxy)
		if err != nil {
			t.Fatal(err)
		}
		for typ, list := range res {
			for _, r := range list {
				n++
				if err := xdscontract.Check(r); err != nil {
					t.Errorf("%s: %s: %v", c.name, typ, err)
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("walked only %d resources: the corpus is not being generated", n)
	}
}

// TestProxyAcceptsCorpus: the proxy's own translation takes every configuration of the corpus
// (what the contract's field list cannot say: enums, regexes, names that must resolve).
func TestProxyAcceptsCorpus(t *testing.T) {
	for _, c := range corpus {
		res, err := translate.Generate(load(t, c.files), c.proxy)
		if err != nil {
			t.Fatal(err)
		}
		st := proxyxds.NewState()
		for _, r := range res[resourcev3.ClusterType] {
			st.Clusters[r.(*clusterv3.Cluster).GetName()] = r.(*clusterv3.Cluster)
		}
		for _, r := range res[resourcev3.EndpointType] {
			st.Endpoints[r.(*endpointv3.ClusterLoadAssignment).GetClusterName()] = r.(*endpointv3.ClusterLoadAssignment)
		}
		for _, r := range res[resourcev3.ListenerType] {
			st.Listeners[r.(*listenerv3.Listener).GetName()] = r.(*listenerv3.Listener)
		}
		for _, r := range res[resourcev3.RouteType] {
			st.Routes[r.(*routev3.RouteConfiguration).GetName()] = r.(*routev3.RouteConfiguration)
		}
		if missing := missingNames(st.RDSNames(), st.Routes); len(missing) > 0 {
			t.Errorf("%s: listeners name routes that are not generated: %v", c.name, missing)
		}
		if missing := missingNames(st.EDSNames(), st.Endpoints); len(missing) > 0 {
			t.Errorf("%s: EDS clusters without endpoints: %v", c.name, missing)
		}
		if _, err := st.Translate(); err != nil {
			t.Errorf("%s: the proxy refuses it: %v", c.name, err)
		}
	}
}

func missingNames[V any](names []string, m map[string]V) []string {
	var out []string
	for _, n := range names {
		if _, ok := m[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// TestSidecarNarrows: with a Sidecar limiting egress to its own namespace and istio-system, the
// proxy receives nothing of namespace payments, and fewer bytes.
func TestSidecarNarrows(t *testing.T) {
	wide := append(append([]string{}, nginxFiles...), "testdata/other-namespace.yaml")
	narrow := append(append([]string{}, wide...), "testdata/sidecar-narrow.yaml")
	size := func(files []string) (int, bool) {
		res, err := translate.Generate(load(t, files), sleepProxy)
		if err != nil {
			t.Fatal(err)
		}
		n, payments := 0, false
		for _, l := range res {
			for _, r := range l {
				n += proto.Size(r)
				if strings.Contains(prototext.Format(r), "payments") {
					payments = true
				}
			}
		}
		return n, payments
	}
	wn, wp := size(wide)
	nn, np := size(narrow)
	if !wp || np || nn >= wn {
		t.Errorf("without the Sidecar: %d bytes, payments %v; with it: %d bytes, payments %v", wn, wp, nn, np)
	}
}

// TestConcurrentProxies: many proxies generating from one snapshot at once (shared results are
// computed once and only read), as the xDS server does; run with -race.
func TestConcurrentProxies(t *testing.T) {
	s := load(t, append(append([]string{}, nginxFiles...), "testdata/rules.yaml"))
	want := string(render(t, mustGenerate(t, s, sleepProxy)))
	var wg sync.WaitGroup
	outs := make([]string, 16)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := sleepProxy
			if i%2 == 1 {
				p = gatewayProxy
			}
			res, err := translate.Generate(s, p)
			if err == nil && p == sleepProxy {
				outs[i] = string(render(t, res))
			}
		}()
	}
	wg.Wait()
	for i := 0; i < len(outs); i += 2 {
		if outs[i] != want {
			t.Fatalf("proxy %d got other resources than a lone proxy", i)
		}
	}
}

func mustGenerate(t *testing.T, s *model.Snapshot, p *translate.Proxy) map[string][]types.Resource {
	t.Helper()
	res, err := translate.Generate(s, p)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSourceLabelsSplitSharing: proxies of one namespace share their outbound side only as far as
// sourceLabels matches treat them alike.
func TestSourceLabelsSplitSharing(t *testing.T) {
	s := load(t, []string{"testdata/cluster.yaml", "testdata/rules.yaml"})
	other := &translate.Proxy{ID: sleepProxy.ID, Meta: meshapi.NodeMetadata{Namespace: "default", Labels: map[string]string{"app": "curl"}}}
	for _, c := range []struct {
		p    *translate.Proxy
		want bool
	}{{sleepProxy, true}, {other, false}, {sleepProxy, true}} {
		res := mustGenerate(t, s, c.p)
		got := false
		for _, r := range res[resourcev3.RouteType] {
			got = got || strings.Contains(prototext.Format(r), "canary-from-sleep")
		}
		if got != c.want {
			t.Errorf("labels %v: route canary-from-sleep present %v, want %v", c.p.Meta.Labels, got, c.want)
		}
	}
}
