package xds

import (
	"fmt"
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

// SDSNames are the secrets meshd serves that the listeners' chains and the clusters name
// (kubernetes://...): the SDS subscription, as RDS follows the listeners.
func (s *State) SDSNames() []string {
	set := map[string]bool{}
	for _, l := range s.Listeners {
		for _, fc := range l.GetFilterChains() {
			sdsNamesOf(fc.GetTransportSocket(), false, set)
		}
		if d := l.GetDefaultFilterChain(); d != nil {
			sdsNamesOf(d.GetTransportSocket(), false, set)
		}
	}
	for _, c := range s.Clusters {
		sdsNamesOf(c.GetTransportSocket(), true, set)
		for _, m := range c.GetTransportSocketMatches() {
			sdsNamesOf(m.GetTransportSocket(), true, set)
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// sdsNamesOf adds the kubernetes:// secrets a TLS transport socket names; another socket, or one
// that does not decode (refused by its translation anyway), names none.
func sdsNamesOf(ts *corev3.TransportSocket, upstream bool, set map[string]bool) {
	if ts.GetName() != xdscontract.TransportTLS {
		return
	}
	var common *tlsv3.CommonTlsContext
	if upstream {
		var u tlsv3.UpstreamTlsContext
		if ts.GetTypedConfig().UnmarshalTo(&u) != nil {
			return
		}
		common = u.GetCommonTlsContext()
	} else {
		var d tlsv3.DownstreamTlsContext
		if ts.GetTypedConfig().UnmarshalTo(&d) != nil {
			return
		}
		common = d.GetCommonTlsContext()
	}
	names := []string{common.GetValidationContextSdsSecretConfig().GetName(),
		common.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName()}
	for _, c := range common.GetTlsCertificateSdsSecretConfigs() {
		names = append(names, c.GetName())
	}
	for _, n := range names {
		if strings.HasPrefix(n, xdscontract.SecretKubernetesPrefix) {
			set[n] = true
		}
	}
}

// secret translates an SDS secret (docs/xds.md): a certificate with its key, or trusted roots, PEM
// inline; it must parse, or the response is refused.
func secret(sec *tlsv3.Secret) (*ir.Secret, error) {
	out := &ir.Secret{}
	var err error
	switch {
	case sec.GetTlsCertificate() != nil && sec.GetValidationContext() != nil:
		return nil, fmt.Errorf("tls_certificate and validation_context: one of them")
	case sec.GetTlsCertificate() != nil:
		c := sec.GetTlsCertificate()
		if out.CertificatePEM, err = inlinePEM(c.GetCertificateChain()); err != nil {
			return nil, fmt.Errorf("tls_certificate.certificate_chain: %w", err)
		}
		if out.KeyPEM, err = inlinePEM(c.GetPrivateKey()); err != nil {
			return nil, fmt.Errorf("tls_certificate.private_key: %w", err)
		}
	case sec.GetValidationContext() != nil:
		v := sec.GetValidationContext()
		if len(v.GetMatchTypedSubjectAltNames()) > 0 {
			return nil, fmt.Errorf("validation_context.match_typed_subject_alt_names: not in an SDS secret")
		}
		if out.TrustedCAPEM, err = inlinePEM(v.GetTrustedCa()); err != nil {
			return nil, fmt.Errorf("validation_context.trusted_ca: %w", err)
		}
	default:
		return nil, fmt.Errorf("tls_certificate or validation_context: required")
	}
	return out, nil
}

// inlinePEM is a secret's PEM, given inline: meshd never names a file of the proxy's container here.
func inlinePEM(d *corev3.DataSource) ([]byte, error) {
	var b []byte
	switch s := d.GetSpecifier().(type) {
	case *corev3.DataSource_InlineBytes:
		b = s.InlineBytes
	case *corev3.DataSource_InlineString:
		b = []byte(s.InlineString)
	default:
		return nil, fmt.Errorf("inline_bytes or inline_string: required")
	}
	if len(b) == 0 {
		// An empty certificate, key or root set is a Secret without the key meshd read: never usable.
		return nil, fmt.Errorf("empty")
	}
	return b, nil
}
