package translate

import (
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/xdscontract"
)

// The ALPN values of Istio's mutual TLS: what clients offer, and what the inbound TLS chain of a
// PERMISSIVE port matches (Istio's, with its HTTP variants, so Envoy clients match too).
var (
	istioALPN        = []string{"istio-peer-exchange", "istio"}
	istioInboundALPN = []string{"istio-peer-exchange", "istio", "istio-http/1.0", "istio-http/1.1", "istio-h2"}
)

// labelTLSMode is the pod label the injector sets (security.istio.io/tlsMode: istio) on workloads
// with a sidecar: the endpoints auto mTLS speaks mutual TLS to.
const labelTLSMode = "security.istio.io/tlsMode"

func sdsSecret(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: adsSource}
}

// istioMutualCommon is the workload certificate and the mesh's roots (SDS default and ROOTCA, which
// every proxy resolves from its own agent), with SAN matchers when the peer's identities are known.
func istioMutualCommon(sans []string) *tlsv3.CommonTlsContext {
	c := &tlsv3.CommonTlsContext{TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{sdsSecret(xdscontract.SecretWorkload)}}
	if len(sans) == 0 {
		c.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{ValidationContextSdsSecretConfig: sdsSecret(xdscontract.SecretRootCA)}
		return c
	}
	c.ValidationContextType = &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
		DefaultValidationContext:         &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: sanMatchers(sans, tlsv3.SubjectAltNameMatcher_URI)},
		ValidationContextSdsSecretConfig: sdsSecret(xdscontract.SecretRootCA),
	}}
	return c
}

func sanMatchers(sans []string, types ...tlsv3.SubjectAltNameMatcher_SanType) []*tlsv3.SubjectAltNameMatcher {
	var out []*tlsv3.SubjectAltNameMatcher
	for _, san := range sans {
		for _, t := range types {
			out = append(out, &tlsv3.SubjectAltNameMatcher{SanType: t,
				Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: san}}})
		}
	}
	return out
}

// istioMutualUpstream is ISTIO_MUTUAL on a cluster: Istio's ALPN and SNI.
func istioMutualUpstream(sni string, sans []string) *corev3.TransportSocket {
	c := istioMutualCommon(sans)
	c.AlpnProtocols = istioALPN
	return tlsSocket(&tlsv3.UpstreamTlsContext{CommonTlsContext: c, Sni: sni})
}

// istioMutualDownstream terminates mutual TLS on an inbound chain: the client must present a mesh
// certificate. No ALPN is set: the server accepts what the client offers, as Istio's inbound does.
func istioMutualDownstream() *corev3.TransportSocket {
	return tlsSocket(&tlsv3.DownstreamTlsContext{CommonTlsContext: istioMutualCommon(nil), RequireClientCertificate: wrapperspb.Bool(true)})
}

func tlsSocket(ctx proto.Message) *corev3.TransportSocket {
	return &corev3.TransportSocket{Name: xdscontract.TransportTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// istioSNI is the server name Istio's clients send: outbound_.PORT_.SUBSET_.HOST.
func istioSNI(port uint32, subset, host string) string {
	return strings.Join([]string{"outbound_", strconv.Itoa(int(port)) + "_", subset + "_", host}, ".")
}

// autoMTLS is Istio's automatic mutual TLS on a cluster without a DestinationRule tls setting:
// ISTIO_MUTUAL to the endpoints with a sidecar (metadata tlsMode istio), plaintext to the rest. Not
// for services outside the mesh, nor for those whose namespace (or the mesh) disables mTLS, as
// Istio's best-effort inference of the server's mode.
func autoMTLS(s *model.Snapshot, c *clusterv3.Cluster, svc *model.Service, port uint32, subset string) {
	if v := s.Mesh.GetEnableAutoMtls(); v != nil && !v.GetValue() {
		return
	}
	if svc.External || svc.Resolution != model.ResolveEDS || namespaceMode(s, svc.Namespace) == modeDisable {
		return
	}
	match, err := structpb.NewStruct(map[string]any{xdscontract.TLSModeKey: xdscontract.TLSModeIstio})
	if err != nil {
		panic(err)
	}
	c.TransportSocketMatches = []*clusterv3.Cluster_TransportSocketMatch{{
		Name: "tlsMode-" + xdscontract.TLSModeIstio, Match: match,
		TransportSocket: istioMutualUpstream(istioSNI(port, subset, svc.Hostname), nil),
	}}
}

// endpointMetadata marks an endpoint with a sidecar for transport_socket_matches (nil: none).
func endpointMetadata(e *model.Endpoint) *corev3.Metadata {
	if e.Labels[labelTLSMode] != xdscontract.TLSModeIstio {
		return nil
	}
	return tlsModeMetadata
}

var tlsModeMetadata = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{
	xdscontract.TransportSocketMatch: {Fields: map[string]*structpb.Value{xdscontract.TLSModeKey: structpb.NewStringValue(xdscontract.TLSModeIstio)}},
}}
