package analyzers

import (
	"net/url"
	"strconv"
	"strings"

	security "istio.io/api/security/v1beta1"
)

// authzConditionKeys are the keys an AuthorizationPolicy condition may use (exact, or as a prefix with [...]).
var authzConditionKeys = []string{"request.headers[", "source.ip", "remote.ip", "source.namespace", "source.principal",
	"request.auth.principal", "request.auth.audiences", "request.auth.presenter", "request.auth.claims[",
	"destination.ip", "destination.port", "connection.sni", "experimental.envoy.filters."}

func (v *validator) authorizationPolicy() {
	ap := v.o.Spec.(*security.AuthorizationPolicy)
	v.workloadSelector("spec.selector", ap.Selector, ap.TargetRef != nil || len(ap.TargetRefs) > 0)
	if ap.TargetRef != nil && len(ap.TargetRefs) > 0 {
		v.errorf("spec.targetRefs", "targetRef and targetRefs exclude each other")
	}
	switch {
	case ap.Action == security.AuthorizationPolicy_CUSTOM && ap.GetProvider() == nil:
		v.errorf("spec.provider", "action CUSTOM needs a provider")
	case ap.Action != security.AuthorizationPolicy_CUSTOM && ap.GetProvider() != nil:
		v.errorf("spec.provider", "a provider is used only with action CUSTOM")
	}
	for i, r := range ap.Rules {
		p := idx("spec.rules", i)
		if r == nil || len(r.From) == 0 && len(r.To) == 0 && len(r.When) == 0 {
			if ap.Action == security.AuthorizationPolicy_DENY || ap.Action == security.AuthorizationPolicy_AUDIT {
				v.warnf(p, "an empty rule matches every request")
			}
			continue
		}
		for j, f := range r.From {
			if f.Source == nil {
				v.errorf(idx(p+".from", j)+".source", "source is required")
				continue
			}
			for k, b := range append(append(append([]string{}, f.Source.IpBlocks...), f.Source.NotIpBlocks...), append(f.Source.RemoteIpBlocks, f.Source.NotRemoteIpBlocks...)...) {
				if !strings.Contains(b, "/") {
					b += "/32"
				}
				_ = k
				v.cidrOrIP(idx(p+".from", j)+".source", b)
			}
		}
		for j, t := range r.To {
			if t.Operation == nil {
				v.errorf(idx(p+".to", j)+".operation", "operation is required")
				continue
			}
			for k, port := range append(append([]string{}, t.Operation.Ports...), t.Operation.NotPorts...) {
				if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
					v.errorf(idx(idx(p+".to", j)+".operation.ports", k), "port %q is not a number in 1-65535", port)
				}
			}
		}
		for j, c := range r.When {
			cp := idx(p+".when", j)
			if !knownConditionKey(c.Key) {
				v.errorf(cp+".key", "unknown condition key %q", c.Key)
			}
			if len(c.Values) == 0 && len(c.NotValues) == 0 {
				v.errorf(cp, "a condition needs values or notValues")
			}
		}
	}
}

func (v *validator) cidrOrIP(field, s string) {
	ip, bits, ok := strings.Cut(s, "/")
	if !ok {
		v.address(field, ip)
		return
	}
	if n, err := strconv.Atoi(bits); err != nil || n < 0 || n > 128 {
		v.errorf(field, "%q is not an IP address or CIDR range", s)
		return
	}
	v.address(field, ip)
}

func knownConditionKey(k string) bool {
	for _, known := range authzConditionKeys {
		if k == known || strings.HasSuffix(known, "[") && strings.HasPrefix(k, known) && strings.HasSuffix(k, "]") ||
			strings.HasSuffix(known, ".") && strings.HasPrefix(k, known) {
			return true
		}
	}
	return false
}

func (v *validator) peerAuthentication() {
	pa := v.o.Spec.(*security.PeerAuthentication)
	v.workloadSelector("spec.selector", pa.Selector, false)
	for port := range pa.PortLevelMtls {
		if port == 0 || port > 65535 {
			v.errorf(`spec.portLevelMtls["`+strconv.Itoa(int(port))+`"]`, "port number %d is out of range 1-65535", port)
		}
	}
}

func (v *validator) requestAuthentication() {
	ra := v.o.Spec.(*security.RequestAuthentication)
	v.workloadSelector("spec.selector", ra.Selector, ra.TargetRef != nil || len(ra.TargetRefs) > 0)
	issuers := map[string]bool{}
	for i, r := range ra.JwtRules {
		p := idx("spec.jwtRules", i)
		if r.Issuer == "" {
			v.errorf(p+".issuer", "issuer is required")
		} else if issuers[r.Issuer] {
			v.warnf(p+".issuer", "issuer %q appears in more than one rule", r.Issuer)
		}
		issuers[r.Issuer] = true
		if r.JwksUri != "" && r.Jwks != "" {
			v.errorf(p, "jwksUri and jwks exclude each other")
		}
		if r.JwksUri != "" {
			if u, err := url.Parse(r.JwksUri); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
				v.errorf(p+".jwksUri", "%q is not an http or https URL", r.JwksUri)
			}
		}
		for j, h := range r.FromHeaders {
			if h.Name == "" {
				v.errorf(idx(p+".fromHeaders", j)+".name", "header name is required")
			}
		}
		v.duration(p+".timeout", r.Timeout)
	}
}
