package validation

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

func (v *validator) authorizationPolicy(p string, ap *security.AuthorizationPolicy) {
	v.workloadSelector(p+".selector", ap.Selector, ap.TargetRef != nil || len(ap.TargetRefs) > 0)
	if ap.TargetRef != nil && len(ap.TargetRefs) > 0 {
		v.errorf(RuleExclusive, p+".targetRefs", "targetRef and targetRefs exclude each other")
	}
	switch {
	case ap.Action == security.AuthorizationPolicy_CUSTOM && ap.GetProvider() == nil:
		v.errorf(RuleRequired, p+".provider", "action CUSTOM needs a provider")
	case ap.Action != security.AuthorizationPolicy_CUSTOM && ap.GetProvider() != nil:
		v.errorf(RuleExclusive, p+".provider", "a provider is used only with action CUSTOM")
	}
	for i, r := range ap.Rules {
		rp := idx(p+".rules", i)
		if r == nil || len(r.From) == 0 && len(r.To) == 0 && len(r.When) == 0 {
			if ap.Action == security.AuthorizationPolicy_DENY || ap.Action == security.AuthorizationPolicy_AUDIT {
				v.warnf(RuleValue, rp, "an empty rule matches every request")
			}
			continue
		}
		for j, f := range r.From {
			sp := idx(rp+".from", j) + ".source"
			if f.Source == nil {
				v.errorf(RuleRequired, sp, "source is required")
				continue
			}
			for name, blocks := range map[string][]string{"ipBlocks": f.Source.IpBlocks, "notIpBlocks": f.Source.NotIpBlocks,
				"remoteIpBlocks": f.Source.RemoteIpBlocks, "notRemoteIpBlocks": f.Source.NotRemoteIpBlocks} {
				for k, b := range blocks {
					v.ipBlock(idx(sp+"."+name, k), b)
				}
			}
		}
		for j, t := range r.To {
			op := idx(rp+".to", j) + ".operation"
			if t.Operation == nil {
				v.errorf(RuleRequired, op, "operation is required")
				continue
			}
			for name, ports := range map[string][]string{"ports": t.Operation.Ports, "notPorts": t.Operation.NotPorts} {
				for k, port := range ports {
					if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
						v.errorf(RulePort, idx(op+"."+name, k), "port %q is not a number in 1-65535", port)
					}
				}
			}
		}
		for j, c := range r.When {
			cp := idx(rp+".when", j)
			if !knownConditionKey(c.Key) {
				v.errorf(RuleValue, cp+".key", "unknown condition key %q", c.Key)
			}
			if len(c.Values) == 0 && len(c.NotValues) == 0 {
				v.errorf(RuleRequired, cp, "a condition needs values or notValues")
			}
		}
	}
}

// ipBlock checks an address or CIDR range of a source; a bare address stands for a /32.
func (v *validator) ipBlock(field, s string) {
	ip, bits, ok := strings.Cut(s, "/")
	if ok {
		if n, err := strconv.Atoi(bits); err != nil || n < 0 || n > 128 {
			v.errorf(RuleAddress, field, "%q is not an IP address or CIDR range", s)
			return
		}
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

func (v *validator) peerAuthentication(p string, pa *security.PeerAuthentication) {
	v.workloadSelector(p+".selector", pa.Selector, false)
	for port := range pa.PortLevelMtls {
		if port == 0 || port > 65535 {
			v.errorf(RulePort, key(p+".portLevelMtls", strconv.Itoa(int(port))), "port number %d is out of range 1-65535", port)
		}
	}
}

func (v *validator) requestAuthentication(p string, ra *security.RequestAuthentication) {
	v.workloadSelector(p+".selector", ra.Selector, ra.TargetRef != nil || len(ra.TargetRefs) > 0)
	issuers := map[string]bool{}
	for i, r := range ra.JwtRules {
		rp := idx(p+".jwtRules", i)
		if r.Issuer == "" {
			v.errorf(RuleRequired, rp+".issuer", "issuer is required")
		} else if issuers[r.Issuer] {
			v.warnf(RuleUnique, rp+".issuer", "issuer %q appears in more than one rule", r.Issuer)
		}
		issuers[r.Issuer] = true
		if r.JwksUri != "" && r.Jwks != "" {
			v.errorf(RuleExclusive, rp, "jwksUri and jwks exclude each other")
		}
		if r.JwksUri != "" {
			if u, err := url.Parse(r.JwksUri); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
				v.errorf(RuleValue, rp+".jwksUri", "%q is not an http or https URL", r.JwksUri)
			}
		}
		for j, h := range r.FromHeaders {
			if h.Name == "" {
				v.errorf(RuleRequired, idx(rp+".fromHeaders", j)+".name", "header name is required")
			}
		}
		v.duration(rp+".timeout", r.Timeout)
	}
}
