// Package xdscontract is docs/xds.md as data: the Envoy messages meshd may send and the fields of
// each the proxy honours. The proxy refuses anything else (Check on every resource it receives) and
// meshd's tests run the same Check on everything it generates, so the two cannot drift apart. It
// imports protobuf and Envoy's types only: the proxy must not pull in Kubernetes' libraries.
package xdscontract

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	// The resources, and the typed configurations the contract allows, registered for Any.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// contract is every message meshd may send and the fields of it the proxy honours. A resource that
// sets any other field, or holds any other message, is refused with the field's path: the proxy
// never ignores configuration silently. contract_internal_test.go checks this table against
// docs/xds.md.
var contract = map[protoreflect.FullName][]protoreflect.Name{
	"envoy.config.listener.v3.Listener":                                                               {"name", "address", "bind_to_port", "use_original_dst", "listener_filters", "filter_chains", "default_filter_chain"},
	"envoy.config.listener.v3.ListenerFilter":                                                         {"name", "typed_config"},
	"envoy.extensions.filters.listener.original_dst.v3.OriginalDst":                                   {},
	"envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector":                                 {},
	"envoy.extensions.filters.listener.http_inspector.v3.HttpInspector":                               {},
	"envoy.config.listener.v3.FilterChain":                                                            {"name", "filter_chain_match", "transport_socket", "filters"},
	"envoy.config.listener.v3.FilterChainMatch":                                                       {"destination_port", "prefix_ranges", "server_names", "transport_protocol", "application_protocols"},
	"envoy.config.listener.v3.Filter":                                                                 {"name", "typed_config"},
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager":               {"stat_prefix", "rds", "route_config", "http_filters", "strip_any_host_port", "use_remote_address", "access_log"},
	"envoy.extensions.filters.network.http_connection_manager.v3.Rds":                                 {"route_config_name", "config_source"},
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter":                          {"name", "typed_config"},
	"envoy.extensions.filters.http.router.v3.Router":                                                  {},
	"envoy.extensions.filters.http.cors.v3.Cors":                                                      {},
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy":                                          {"stat_prefix", "cluster", "weighted_clusters", "access_log"},
	"envoy.config.accesslog.v3.AccessLog":                                                             {"name", "typed_config"},
	"envoy.extensions.access_loggers.file.v3.FileAccessLog":                                           {"path", "log_format"},
	"envoy.config.core.v3.SubstitutionFormatString":                                                   {"text_format_source"},
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster":                          {"clusters"},
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight":            {"name", "weight"},
	"envoy.config.route.v3.RouteConfiguration":                                                        {"name", "virtual_hosts"},
	"envoy.config.route.v3.VirtualHost":                                                               {"name", "domains", "routes", "require_tls"},
	"envoy.config.route.v3.Route":                                                                     {"name", "match", "route", "redirect", "direct_response", "request_headers_to_add", "request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove", "typed_per_filter_config"},
	"envoy.config.route.v3.RouteMatch":                                                                {"prefix", "path", "safe_regex", "case_sensitive", "headers", "query_parameters"},
	"envoy.config.route.v3.HeaderMatcher":                                                             {"name", "string_match", "present_match", "invert_match"},
	"envoy.config.route.v3.QueryParameterMatcher":                                                     {"name", "string_match"},
	"envoy.config.route.v3.RouteAction":                                                               {"cluster", "weighted_clusters", "timeout", "retry_policy", "request_mirror_policies", "prefix_rewrite", "regex_rewrite", "host_rewrite_literal", "hash_policy"},
	"envoy.config.route.v3.WeightedCluster":                                                           {"clusters"},
	"envoy.config.route.v3.WeightedCluster.ClusterWeight":                                             {"name", "weight", "request_headers_to_add", "request_headers_to_remove", "response_headers_to_add", "response_headers_to_remove"},
	"envoy.config.route.v3.RetryPolicy":                                                               {"retry_on", "num_retries", "per_try_timeout", "retriable_status_codes", "retry_host_predicate", "host_selection_retry_max_attempts", "retry_back_off"},
	"envoy.config.route.v3.RetryPolicy.RetryHostPredicate":                                            {"name", "typed_config"},
	"envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate":                            {},
	"envoy.config.route.v3.RetryPolicy.RetryBackOff":                                                  {"base_interval", "max_interval"},
	"envoy.config.route.v3.RouteAction.RequestMirrorPolicy":                                           {"cluster", "runtime_fraction"},
	"envoy.config.route.v3.RouteAction.HashPolicy":                                                    {"header", "cookie", "connection_properties", "query_parameter"},
	"envoy.config.route.v3.RouteAction.HashPolicy.Header":                                             {"header_name"},
	"envoy.config.route.v3.RouteAction.HashPolicy.Cookie":                                             {"name", "ttl", "path"},
	"envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties":                               {"source_ip"},
	"envoy.config.route.v3.RouteAction.HashPolicy.QueryParameter":                                     {"name"},
	"envoy.config.route.v3.RedirectAction":                                                            {"scheme_redirect", "host_redirect", "port_redirect", "path_redirect", "response_code"},
	"envoy.config.route.v3.DirectResponseAction":                                                      {"status", "body"},
	"envoy.extensions.filters.http.fault.v3.HTTPFault":                                                {"delay", "abort"},
	"envoy.extensions.filters.common.fault.v3.FaultDelay":                                             {"fixed_delay", "percentage"},
	"envoy.extensions.filters.http.fault.v3.FaultAbort":                                               {"http_status", "grpc_status", "percentage"},
	"envoy.extensions.filters.http.cors.v3.CorsPolicy":                                                {"allow_origin_string_match", "allow_methods", "allow_headers", "expose_headers", "max_age", "allow_credentials"},
	"envoy.config.cluster.v3.Cluster":                                                                 {"name", "type", "eds_cluster_config", "load_assignment", "dns_refresh_rate", "connect_timeout", "lb_policy", "ring_hash_lb_config", "circuit_breakers", "typed_extension_protocol_options", "upstream_connection_options", "outlier_detection", "common_lb_config", "transport_socket", "transport_socket_matches", "upstream_bind_config"},
	"envoy.config.cluster.v3.Cluster.TransportSocketMatch":                                            {"name", "match", "transport_socket"},
	"envoy.config.cluster.v3.Cluster.EdsClusterConfig":                                                {"eds_config"},
	"envoy.config.cluster.v3.Cluster.RingHashLbConfig":                                                {"minimum_ring_size"},
	"envoy.config.cluster.v3.Cluster.CommonLbConfig":                                                  {"healthy_panic_threshold"},
	"envoy.config.cluster.v3.CircuitBreakers":                                                         {"thresholds"},
	"envoy.config.cluster.v3.CircuitBreakers.Thresholds":                                              {"max_connections", "max_pending_requests", "max_requests", "max_retries"},
	"envoy.config.cluster.v3.UpstreamConnectionOptions":                                               {"tcp_keepalive"},
	"envoy.config.cluster.v3.OutlierDetection":                                                        {"consecutive_5xx", "enforcing_consecutive_5xx", "consecutive_gateway_failure", "enforcing_consecutive_gateway_failure", "split_external_local_origin_errors", "consecutive_local_origin_failure", "enforcing_consecutive_local_origin_failure", "interval", "base_ejection_time", "max_ejection_percent"},
	"envoy.extensions.upstreams.http.v3.HttpProtocolOptions":                                          {"explicit_http_config", "use_downstream_protocol_config", "common_http_protocol_options"},
	"envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig":                  {"http_protocol_options", "http2_protocol_options"},
	"envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig":                       {"http_protocol_options", "http2_protocol_options"},
	"envoy.config.core.v3.HttpProtocolOptions":                                                        {"idle_timeout", "max_requests_per_connection"},
	"envoy.config.core.v3.Http1ProtocolOptions":                                                       {},
	"envoy.config.core.v3.Http2ProtocolOptions":                                                       {},
	"envoy.config.core.v3.TcpKeepalive":                                                               {"keepalive_probes", "keepalive_time", "keepalive_interval"},
	"envoy.config.core.v3.BindConfig":                                                                 {"source_address"},
	"envoy.config.core.v3.TransportSocket":                                                            {"name", "typed_config"},
	"envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext":                                    {"common_tls_context", "sni"},
	"envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext":                                  {"common_tls_context", "require_client_certificate"},
	"envoy.extensions.transport_sockets.tls.v3.CommonTlsContext":                                      {"tls_certificates", "tls_certificate_sds_secret_configs", "validation_context", "validation_context_sds_secret_config", "combined_validation_context", "alpn_protocols", "tls_params"},
	"envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext": {"default_validation_context", "validation_context_sds_secret_config"},
	"envoy.extensions.transport_sockets.tls.v3.TlsCertificate":                                        {"certificate_chain", "private_key"},
	"envoy.extensions.transport_sockets.tls.v3.Secret":                                                {"name", "tls_certificate", "validation_context"},
	"envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig":                                       {"name", "sds_config"},
	"envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext":                          {"trusted_ca", "match_typed_subject_alt_names"},
	"envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher":                                 {"san_type", "matcher"},
	"envoy.extensions.transport_sockets.tls.v3.TlsParameters":                                         {"tls_minimum_protocol_version", "tls_maximum_protocol_version"},
	"envoy.config.endpoint.v3.ClusterLoadAssignment":                                                  {"cluster_name", "endpoints"},
	"envoy.config.endpoint.v3.LocalityLbEndpoints":                                                    {"locality", "lb_endpoints", "load_balancing_weight", "priority"},
	"envoy.config.endpoint.v3.LbEndpoint":                                                             {"endpoint", "load_balancing_weight", "metadata"},
	"envoy.config.core.v3.Metadata":                                                                   {"filter_metadata"},
	"envoy.config.endpoint.v3.Endpoint":                                                               {"address"},
	"envoy.config.core.v3.Locality":                                                                   {"region", "zone", "sub_zone"},
	"envoy.config.core.v3.Address":                                                                    {"socket_address"},
	"envoy.config.core.v3.SocketAddress":                                                              {"address", "port_value"},
	"envoy.config.core.v3.CidrRange":                                                                  {"address_prefix", "prefix_len"},
	"envoy.config.core.v3.ConfigSource":                                                               {"ads", "resource_api_version"},
	"envoy.config.core.v3.AggregatedConfigSource":                                                     {},
	"envoy.config.core.v3.DataSource":                                                                 {"filename", "inline_string", "inline_bytes"},
	"envoy.config.core.v3.HeaderValueOption":                                                          {"header", "append_action"},
	"envoy.config.core.v3.HeaderValue":                                                                {"key", "value"},
	"envoy.config.core.v3.RuntimeFractionalPercent":                                                   {"default_value"},
	"envoy.type.v3.FractionalPercent":                                                                 {"numerator", "denominator"},
	"envoy.type.v3.Percent":                                                                           {"value"},
	"envoy.type.matcher.v3.StringMatcher":                                                             {"exact", "prefix", "suffix", "safe_regex", "ignore_case"},
	"envoy.extensions.filters.http.rbac.v3.RBAC":                                                      {"rules"},
	"envoy.extensions.filters.network.rbac.v3.RBAC":                                                   {"rules", "stat_prefix"},
	"envoy.config.rbac.v3.RBAC":                                                                       {"action", "policies"},
	"envoy.config.rbac.v3.Policy":                                                                     {"permissions", "principals"},
	"envoy.config.rbac.v3.Permission":                                                                 {"and_rules", "or_rules", "any", "header", "url_path", "destination_ip", "destination_port", "not_rule", "requested_server_name"},
	"envoy.config.rbac.v3.Permission.Set":                                                             {"rules"},
	"envoy.config.rbac.v3.Principal":                                                                  {"and_ids", "or_ids", "any", "authenticated", "direct_remote_ip", "remote_ip", "header", "metadata", "not_id"},
	"envoy.config.rbac.v3.Principal.Set":                                                              {"ids"},
	"envoy.config.rbac.v3.Principal.Authenticated":                                                    {"principal_name"},
	"envoy.type.matcher.v3.PathMatcher":                                                               {"path"},
	"envoy.type.matcher.v3.MetadataMatcher":                                                           {"filter", "path", "value"},
	"envoy.type.matcher.v3.MetadataMatcher.PathSegment":                                               {"key"},
	"envoy.type.matcher.v3.ValueMatcher":                                                              {"string_match", "list_match"},
	"envoy.type.matcher.v3.ListMatcher":                                                               {"one_of"},
	"envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication":                                    {"providers", "rules"},
	"envoy.extensions.filters.http.jwt_authn.v3.JwtProvider":                                          {"issuer", "audiences", "local_jwks", "from_headers", "from_params", "forward", "forward_payload_header"},
	"envoy.extensions.filters.http.jwt_authn.v3.JwtHeader":                                            {"name", "value_prefix"},
	"envoy.extensions.filters.http.jwt_authn.v3.RequirementRule":                                      {"match", "requires"},
	"envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement":                                       {"provider_name", "requires_any", "allow_missing"},
	"envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList":                                 {"requirements"},
	"envoy.type.matcher.v3.RegexMatcher":                                                              {"regex"},
	"envoy.type.matcher.v3.RegexMatchAndSubstitute":                                                   {"pattern", "substitution"},
}

var allowed = func() map[protoreflect.FullName]map[protoreflect.Name]bool {
	m := map[protoreflect.FullName]map[protoreflect.Name]bool{}
	for msg, fields := range contract {
		set := map[protoreflect.Name]bool{}
		for _, f := range fields {
			set[f] = true
		}
		m[msg] = set
	}
	return m
}()

// Check walks a resource and refuses any field or message the contract does not list, naming the
// field's path.
func Check(m proto.Message) error {
	return walk(m.ProtoReflect(), "")
}

func walk(m protoreflect.Message, path string) error {
	name := m.Descriptor().FullName()
	if name == "google.protobuf.Any" {
		a := m.Interface().(*anypb.Any)
		inner, err := a.UnmarshalNew()
		if err != nil || allowed[inner.ProtoReflect().Descriptor().FullName()] == nil {
			return fmt.Errorf("%s: typed config %s: not in the contract (docs/xds.md)", orRoot(path), a.GetTypeUrl())
		}
		return walk(inner.ProtoReflect(), path+"("+string(inner.ProtoReflect().Descriptor().Name())+")")
	}
	if strings.HasPrefix(string(name), "google.protobuf.") {
		return nil // wrapped values and durations are values
	}
	fields, ok := allowed[name]
	if !ok {
		return fmt.Errorf("%s: message %s is not in the contract (docs/xds.md)", orRoot(path), name)
	}
	if len(m.GetUnknown()) > 0 {
		return fmt.Errorf("%s: %s has fields this proxy does not know", orRoot(path), name)
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := join(path, string(fd.Name()))
		if !fields[fd.Name()] {
			err = fmt.Errorf("%s: field not supported (docs/xds.md lists what %s may set)", p, name.Name())
			return false
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = walk(l.Get(i).Message(), fmt.Sprintf("%s[%d]", p, i))
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				err = walk(mv.Message(), fmt.Sprintf("%s[%s]", p, k.String()))
				return err == nil
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			err = walk(v.Message(), p)
		}
		return err == nil
	})
	return err
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func orRoot(path string) string {
	if path == "" {
		return "(resource)"
	}
	return path
}

// Allows reports whether the contract lets message msg set field.
func Allows(msg protoreflect.FullName, field protoreflect.Name) bool { return allowed[msg][field] }
