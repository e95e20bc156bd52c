package translate

import (
	"cmp"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/xdscontract"
)

// sdsPrefix names a Kubernetes Secret in an SDS resource name, as Istio does.
const sdsPrefix = xdscontract.SecretKubernetesPrefix

// caSuffix names the roots of a credential: its ca.crt (cacert), or Secret NAME-cacert.
const caSuffix = "-cacert"

// gatewaySecrets are the SDS secrets a gateway may ask for: every credentialName a Gateway server
// or a DestinationRule names, read from the gateway's own namespace, as Istio's default allows
// (a name "NS/NAME" only when NS is that namespace). The proxy subscribes by name and is sent only
// what it asks for; a sidecar is sent none.
func gatewaySecrets(s *model.Snapshot, p *Proxy) []types.Resource {
	ns := p.Namespace()
	names := s.ConfigMemo("credentialNames", func() any { return credentialNames(s) }).([]string)
	var out []types.Resource
	for _, cred := range names {
		name := cred
		if other, n, ok := strings.Cut(cred, "/"); ok {
			if other != ns {
				continue // another namespace's Secret: refused, as Istio's gateways are
			}
			name = n
		}
		c := s.Credentials[ns+"/"+name]
		if c != nil && len(c.Cert) > 0 {
			out = append(out, &tlsv3.Secret{Name: sdsPrefix + cred, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
				CertificateChain: inlineBytes(c.Cert), PrivateKey: inlineBytes(c.Key)}}})
		}
		var ca []byte
		if c != nil {
			ca = c.CA
		}
		if len(ca) == 0 {
			if sep := s.Credentials[ns+"/"+name+caSuffix]; sep != nil {
				ca = sep.CA
			}
		}
		if len(ca) > 0 {
			out = append(out, &tlsv3.Secret{Name: sdsPrefix + cred + caSuffix, Type: &tlsv3.Secret_ValidationContext{
				ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: inlineBytes(ca)}}})
		}
	}
	slices.SortFunc(out, func(a, b types.Resource) int { return cmp.Compare(nameOf(a), nameOf(b)) })
	return out
}

func inlineBytes(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}

// credentialNames are the credentialNames of every Gateway server and DestinationRule TLS setting.
func credentialNames(s *model.Snapshot) []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, g := range s.Gateways {
		for _, sv := range g.Spec.GetServers() {
			add(sv.GetTls().GetCredentialName())
		}
	}
	policy := func(tp *networking.TrafficPolicy) {
		add(tp.GetTls().GetCredentialName())
		for _, pl := range tp.GetPortLevelSettings() {
			add(pl.GetTls().GetCredentialName())
		}
	}
	for _, dr := range s.DestinationRules {
		policy(dr.Spec.GetTrafficPolicy())
		for _, ss := range dr.Spec.GetSubsets() {
			policy(ss.GetTrafficPolicy())
		}
	}
	slices.Sort(out)
	return out
}
