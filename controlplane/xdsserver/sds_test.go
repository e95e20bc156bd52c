package xdsserver

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/meshapi"
)

// modelGen serves translate's configuration of the current snapshot.
type modelGen struct {
	snap atomic.Pointer[model.Snapshot]
}

func (g *modelGen) Generate(p *Proxy) (map[string][]types.Resource, error) {
	return translate.Generate(g.snap.Load(), (*translate.Proxy)(p))
}
func (g *modelGen) Affects(p *Proxy, c Change) bool {
	return translate.Affects(g.snap.Load(), (*translate.Proxy)(p), model.Change(c))
}

const sdsWorld = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: gw-ns}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: MUTUAL, credentialName: web}}
  - {port: {number: 443, name: https-x, protocol: HTTPS}, hosts: [x.example.com], tls: {mode: SIMPLE, credentialName: other/web}}
---
apiVersion: v1
kind: Secret
metadata: {name: web, namespace: gw-ns}
type: kubernetes.io/tls
data: {tls.crt: %CERT%, tls.key: S0VZ, ca.crt: Q0E=}
---
apiVersion: v1
kind: Secret
metadata: {name: web, namespace: other}
type: kubernetes.io/tls
data: {tls.crt: T1RIRVI=, tls.key: S0VZ}
`

func sdsSnapshot(t *testing.T, cert string) *model.Snapshot {
	t.Helper()
	objs, err := model.DecodeYAML(strings.NewReader(strings.ReplaceAll(sdsWorld, "%CERT%", cert)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func node(t *testing.T, typ meshapi.ProxyType, ns string) *corev3.Node {
	id := meshapi.NewNodeID(typ, netip.MustParseAddr("10.0.0.9"), "p-1", ns, "cluster.local")
	md := meshapi.NodeMetadata{Namespace: ns, Labels: map[string]string{"istio": "ingressgateway"}}
	meta, err := structpb.NewStruct(md.Map())
	if err != nil {
		t.Fatal(err)
	}
	return &corev3.Node{Id: id.String(), Metadata: meta}
}

// TestGatewayGetsItsSecrets: over ADS, a gateway asking for secrets by name gets those of its own
// namespace, never another's (kubernetes://other/web); a change of the Secret is pushed to it; a
// sidecar is given no SDS type at all.
func TestGatewayGetsItsSecrets(t *testing.T) {
	gen := &modelGen{}
	gen.snap.Store(sdsSnapshot(t, "Q0VSVA==")) // CERT
	ts := startServer(t, gen, nil)
	ctx, cancel := context.WithCancel(waitCtx(t))
	defer cancel()
	ads, err := discoveryv3.NewAggregatedDiscoveryServiceClient(dial(t, ts.addr)).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	asked := []string{"kubernetes://other/web", "kubernetes://web", "kubernetes://web-cacert"}
	if err := ads.Send(&discoveryv3.DiscoveryRequest{Node: node(t, meshapi.Router, "gw-ns"), TypeUrl: resource.SecretType, ResourceNames: asked}); err != nil {
		t.Fatal(err)
	}
	recv := func() (map[string]*tlsv3.Secret, *discoveryv3.DiscoveryResponse) {
		t.Helper()
		resp, err := ads.Recv()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*tlsv3.Secret{}
		for _, a := range resp.GetResources() {
			s := &tlsv3.Secret{}
			if err := a.UnmarshalTo(s); err != nil {
				t.Fatal(err)
			}
			out[s.GetName()] = s
		}
		return out, resp
	}
	got, resp := recv()
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"kubernetes://web", "kubernetes://web-cacert"}; resp.GetTypeUrl() != resource.SecretType || !slices.Equal(names, want) {
		t.Fatalf("%s: %v, want %v (never other's Secret)", resp.GetTypeUrl(), names, want)
	}
	if c := got["kubernetes://web"].GetTlsCertificate().GetCertificateChain().GetInlineBytes(); string(c) != "CERT" {
		t.Fatalf("certificate %q", c)
	}
	if err := ads.Send(&discoveryv3.DiscoveryRequest{TypeUrl: resource.SecretType, ResourceNames: asked, VersionInfo: resp.GetVersionInfo(), ResponseNonce: resp.GetNonce()}); err != nil {
		t.Fatal(err)
	}

	// The Secret changes: pushed to the gateway of its namespace.
	gen.snap.Store(sdsSnapshot(t, "TkVX")) // NEW
	ts.srv.Notify(Change{Kinds: []string{model.KindSecret}, Namespaces: []string{"gw-ns"}})
	got, _ = recv()
	if c := got["kubernetes://web"].GetTlsCertificate().GetCertificateChain().GetInlineBytes(); string(c) != "NEW" {
		t.Fatalf("after the change: certificate %q, want the new one", c)
	}

	// A sidecar of the same namespace: clusters, and no secrets' version to answer with.
	side, err := discoveryv3.NewAggregatedDiscoveryServiceClient(dial(t, ts.addr)).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sn := node(t, meshapi.Sidecar, "gw-ns")
	if err := side.Send(&discoveryv3.DiscoveryRequest{Node: sn, TypeUrl: resource.SecretType, ResourceNames: asked}); err != nil {
		t.Fatal(err)
	}
	if err := side.Send(&discoveryv3.DiscoveryRequest{TypeUrl: resource.ClusterType}); err != nil {
		t.Fatal(err)
	}
	r, err := side.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if r.GetTypeUrl() != resource.ClusterType {
		t.Fatalf("a sidecar was answered %s first, want clusters (no secrets)", r.GetTypeUrl())
	}
	p := ts.srv.lookup(sn.GetId())
	p.watchMu.Lock()
	v := p.published.GetVersion(resource.SecretType)
	p.watchMu.Unlock()
	if v != "" {
		t.Errorf("a sidecar has secrets (version %q)", v)
	}
}
