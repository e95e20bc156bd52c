package translate_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/controlplane/translate"
	"github.com/meshctl/meshctl/meshapi"
)

const sdsObjects = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 443, name: https-a, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: SIMPLE, credentialName: tls-cert}}
  - {port: {number: 443, name: https-b, protocol: HTTPS}, hosts: [b.example.com], tls: {mode: MUTUAL, credentialName: generic-cert}}
  - {port: {number: 443, name: https-c, protocol: HTTPS}, hosts: [c.example.com], tls: {mode: MUTUAL, credentialName: split}}
  - {port: {number: 443, name: https-d, protocol: HTTPS}, hosts: [d.example.com], tls: {mode: SIMPLE, credentialName: other/tls-cert}}
  - {port: {number: 443, name: https-e, protocol: HTTPS}, hosts: [e.example.com], tls: {mode: SIMPLE, credentialName: gw-ns/tls-cert}}
  - {port: {number: 443, name: https-f, protocol: HTTPS}, hosts: [f.example.com], tls: {mode: SIMPLE, credentialName: missing}}
---
apiVersion: v1
kind: Secret
metadata: {name: tls-cert, namespace: gw-ns}
type: kubernetes.io/tls
data: {tls.crt: Q0VSVA==, tls.key: S0VZ}
---
apiVersion: v1
kind: Secret
metadata: {name: generic-cert, namespace: gw-ns}
data: {cert: Q0VSVA==, key: S0VZ, cacert: Q0E=}
---
apiVersion: v1
kind: Secret
metadata: {name: split, namespace: gw-ns}
type: kubernetes.io/tls
data: {tls.crt: Q0VSVA==, tls.key: S0VZ}
---
apiVersion: v1
kind: Secret
metadata: {name: split-cacert, namespace: gw-ns}
data: {ca.crt: Q0E=}
---
apiVersion: v1
kind: Secret
metadata: {name: tls-cert, namespace: other}
type: kubernetes.io/tls
data: {tls.crt: Q0VSVA==, tls.key: S0VZ}
---
apiVersion: v1
kind: Secret
metadata: {name: missing, namespace: other}
type: kubernetes.io/tls
data: {tls.crt: Q0VSVA==, tls.key: S0VZ}
`

// A gateway is sent the credentials its Gateways and DestinationRules name, read from its own
// namespace only, in either kind of Secret and with the roots of a separate NAME-cacert; a sidecar
// is sent none.
func TestGatewaySecrets(t *testing.T) {
	objs, err := model.DecodeYAML(strings.NewReader(sdsObjects))
	if err != nil {
		t.Fatal(err)
	}
	s, err := model.FromObjects(model.DefaultClusterDomain, objs...)
	if err != nil {
		t.Fatal(err)
	}
	proxy := func(typ meshapi.ProxyType, ns string) *translate.Proxy {
		return &translate.Proxy{ID: meshapi.NewNodeID(typ, netip.MustParseAddr("10.0.0.9"), "p-1", ns, "cluster.local"),
			Meta: meshapi.NodeMetadata{Namespace: ns, Labels: map[string]string{"istio": "ingressgateway"}}}
	}
	secrets := func(p *translate.Proxy) map[string]*tlsv3.Secret {
		res, err := translate.Generate(s, p)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*tlsv3.Secret{}
		for _, r := range res[resourcev3.SecretType] {
			out[r.(*tlsv3.Secret).GetName()] = r.(*tlsv3.Secret)
		}
		return out
	}
	got := secrets(proxy(meshapi.Router, "gw-ns"))
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"kubernetes://generic-cert", "kubernetes://generic-cert-cacert", "kubernetes://gw-ns/tls-cert",
		"kubernetes://split", "kubernetes://split-cacert", "kubernetes://tls-cert"}
	if !slices.Equal(names, want) {
		t.Fatalf("gateway in gw-ns gets %v, want %v (never other/..., nor another namespace's \"missing\")", names, want)
	}
	if c := got["kubernetes://generic-cert"].GetTlsCertificate(); string(c.GetCertificateChain().GetInlineBytes()) != "CERT" || string(c.GetPrivateKey().GetInlineBytes()) != "KEY" {
		t.Errorf("generic-cert: %v", c)
	}
	if ca := got["kubernetes://split-cacert"].GetValidationContext().GetTrustedCa().GetInlineBytes(); string(ca) != "CA" {
		t.Errorf("split-cacert roots %q, want those of Secret split-cacert", ca)
	}
	if n := len(secrets(proxy(meshapi.Sidecar, "gw-ns"))); n != 0 {
		t.Errorf("a sidecar gets %d secrets, want none", n)
	}
	// A gateway in "other" gets its own namespace's Secrets: "missing" and tls-cert, and other/tls-cert.
	other := secrets(proxy(meshapi.Router, "other"))
	if _, ok := other["kubernetes://gw-ns/tls-cert"]; ok {
		t.Errorf("a gateway in other is sent gw-ns's Secret")
	}
	for _, n := range []string{"kubernetes://missing", "kubernetes://other/tls-cert", "kubernetes://tls-cert"} {
		if _, ok := other[n]; !ok {
			t.Errorf("a gateway in other is not sent %s", n)
		}
	}
}

// A Secret changes what a gateway of its namespace is sent, never a sidecar's nor another
// namespace's gateway's.
func TestSecretAffects(t *testing.T) {
	s, err := model.FromObjects(model.DefaultClusterDomain)
	if err != nil {
		t.Fatal(err)
	}
	c := model.Change{Kinds: []string{model.KindSecret}, Namespaces: []string{"gw-ns"}}
	for _, tc := range []struct {
		typ  meshapi.ProxyType
		ns   string
		want bool
	}{{meshapi.Router, "gw-ns", true}, {meshapi.Router, "other", false}, {meshapi.Sidecar, "gw-ns", false}} {
		p := &translate.Proxy{ID: meshapi.NewNodeID(tc.typ, netip.MustParseAddr("10.0.0.9"), "p-1", tc.ns, "cluster.local"),
			Meta: meshapi.NodeMetadata{Namespace: tc.ns}}
		if got := translate.Affects(s, p, c); got != tc.want {
			t.Errorf("%v in %s: Affects = %v, want %v", tc.typ, tc.ns, got, tc.want)
		}
	}
}
