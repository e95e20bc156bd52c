package xds

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/xdscontract"
)

// transportSocket translates a TLS transport socket (docs/xds.md): upstream when a cluster sends it,
// downstream on a filter chain. It reports why the proxy cannot use it yet ("" when it can): an SDS
// secret other than the two its agent provides (gateway credentials) leaves the chain or cluster
// warming, as Envoy keeps one warming until its secrets arrive.
func transportSocket(ts *corev3.TransportSocket, upstream bool) (*ir.TLS, string, error) {
	if ts.GetName() != xdscontract.TransportTLS {
		return nil, "", fmt.Errorf("name %q: want %s", ts.GetName(), xdscontract.TransportTLS)
	}
	out := &ir.TLS{}
	var common *tlsv3.CommonTlsContext
	if upstream {
		var u tlsv3.UpstreamTlsContext
		if err := ts.GetTypedConfig().UnmarshalTo(&u); err != nil {
			return nil, "", fmt.Errorf("typed_config: want UpstreamTlsContext: %w", err)
		}
		common, out.SNI = u.GetCommonTlsContext(), u.GetSni()
	} else {
		var d tlsv3.DownstreamTlsContext
		if err := ts.GetTypedConfig().UnmarshalTo(&d); err != nil {
			return nil, "", fmt.Errorf("typed_config: want DownstreamTlsContext: %w", err)
		}
		common, out.RequireClientCert = d.GetCommonTlsContext(), d.GetRequireClientCertificate().GetValue()
	}
	warming, err := commonTLS(common, out)
	if err != nil {
		return nil, "", fmt.Errorf("typed_config.common_tls_context.%w", err)
	}
	if !upstream && out.CertificateSecret == "" && len(out.CertificatePEM) == 0 && warming == "" {
		return nil, "", fmt.Errorf("typed_config.common_tls_context: a server needs a certificate (tls_certificates or tls_certificate_sds_secret_configs)")
	}
	return out, warming, nil
}

func commonTLS(c *tlsv3.CommonTlsContext, out *ir.TLS) (warming string, err error) {
	out.ALPN = c.GetAlpnProtocols()
	if p := c.GetTlsParams(); p != nil {
		if out.MinVersion, err = tlsVersion(p.GetTlsMinimumProtocolVersion()); err != nil {
			return "", fmt.Errorf("tls_params.tls_minimum_protocol_version: %w", err)
		}
		if out.MaxVersion, err = tlsVersion(p.GetTlsMaximumProtocolVersion()); err != nil {
			return "", fmt.Errorf("tls_params.tls_maximum_protocol_version: %w", err)
		}
	}
	switch certs, sds := c.GetTlsCertificates(), c.GetTlsCertificateSdsSecretConfigs(); {
	case len(certs)+len(sds) > 1:
		return "", fmt.Errorf("tls_certificates, tls_certificate_sds_secret_configs: one certificate at most")
	case len(certs) == 1:
		if out.CertificatePEM, err = pemSource(certs[0].GetCertificateChain(), &warming); err != nil {
			return "", fmt.Errorf("tls_certificates[0].certificate_chain: %w", err)
		}
		if out.KeyPEM, err = pemSource(certs[0].GetPrivateKey(), &warming); err != nil {
			return "", fmt.Errorf("tls_certificates[0].private_key: %w", err)
		}
	case len(sds) == 1:
		if warming, err = sdsName(sds[0], xdscontract.SecretWorkload); err != nil {
			return "", fmt.Errorf("tls_certificate_sds_secret_configs[0].%w", err)
		}
		out.CertificateSecret = sds[0].GetName()
	}
	var static *tlsv3.CertificateValidationContext
	var dynamic *tlsv3.SdsSecretConfig
	switch v := c.GetValidationContextType().(type) {
	case *tlsv3.CommonTlsContext_ValidationContext:
		static = v.ValidationContext
	case *tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig:
		dynamic = v.ValidationContextSdsSecretConfig
	case *tlsv3.CommonTlsContext_CombinedValidationContext:
		static, dynamic = v.CombinedValidationContext.GetDefaultValidationContext(), v.CombinedValidationContext.GetValidationContextSdsSecretConfig()
	}
	if dynamic != nil {
		w, err := sdsName(dynamic, xdscontract.SecretRootCA)
		if err != nil {
			return "", fmt.Errorf("validation_context_sds_secret_config.%w", err)
		}
		warming = firstNonEmpty(warming, w)
		out.ValidationSecret = dynamic.GetName()
	}
	if static != nil {
		if ca := static.GetTrustedCa(); ca != nil {
			if dynamic != nil {
				return "", fmt.Errorf("validation context: trusted_ca and an SDS validation context both name the roots")
			}
			if out.TrustedCAPEM, err = pemSource(ca, &warming); err != nil {
				return "", fmt.Errorf("validation_context.trusted_ca: %w", err)
			}
		}
		for i, m := range static.GetMatchTypedSubjectAltNames() {
			var san ir.SANMatch
			switch m.GetSanType() {
			case tlsv3.SubjectAltNameMatcher_URI:
				san.Type = ir.SANURI
			case tlsv3.SubjectAltNameMatcher_DNS:
				san.Type = ir.SANDNS
			default:
				return "", fmt.Errorf("validation_context.match_typed_subject_alt_names[%d].san_type %s: want URI or DNS", i, m.GetSanType())
			}
			if san.Value, err = stringMatch(m.GetMatcher()); err != nil {
				return "", fmt.Errorf("validation_context.match_typed_subject_alt_names[%d].matcher: %w", i, err)
			}
			out.SubjectAltNames = append(out.SubjectAltNames, san)
		}
	}
	return warming, nil
}

// sdsName checks an SDS reference: over ADS, by name. The proxy's own two names it resolves from its
// agent; a kubernetes:// name (a gateway's credential) it asks meshd for, and the chain or cluster
// warms until it arrives (tlsconf.Unresolvable); another name it cannot fetch: warming.
func sdsName(s *tlsv3.SdsSecretConfig, own string) (warming string, err error) {
	if s.GetName() == "" {
		return "", fmt.Errorf("name: required")
	}
	if src := s.GetSdsConfig(); src != nil && src.GetAds() == nil {
		return "", fmt.Errorf("sds_config: only ADS is supported")
	}
	if s.GetName() != own && !strings.HasPrefix(s.GetName(), xdscontract.SecretKubernetesPrefix) {
		return "SDS secret " + s.GetName() + " is not available to this proxy (it resolves " + xdscontract.SecretWorkload + " and " + xdscontract.SecretRootCA + " only)", nil
	}
	return "", nil
}

// pemSource reads PEM inline or from a file in the proxy's container. A file the proxy cannot read
// (a DestinationRule naming a path the pod does not mount) keeps the cluster or chain warming rather
// than refusing the whole response: *warming gets the reason.
func pemSource(d *corev3.DataSource, warming *string) ([]byte, error) {
	s, err := dataSource(d)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if *warming == "" {
			*warming = "TLS file " + pe.Path + ": " + pe.Err.Error()
		}
		return nil, nil
	}
	if err == nil && s == "" {
		err = fmt.Errorf("filename or inline_string: required")
	}
	return []byte(s), err
}

func tlsVersion(v tlsv3.TlsParameters_TlsProtocol) (uint16, error) {
	switch v {
	case tlsv3.TlsParameters_TLS_AUTO:
		return 0, nil
	case tlsv3.TlsParameters_TLSv1_2:
		return tls.VersionTLS12, nil
	case tlsv3.TlsParameters_TLSv1_3:
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%s: want TLS_AUTO, TLSv1_2 or TLSv1_3", v)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
