package validation

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

var gatewayProtocols = map[string]bool{"HTTP": true, "HTTPS": true, "GRPC": true, "GRPC-WEB": true, "HTTP2": true, "MONGO": true, "TCP": true, "TLS": true, "MYSQL": true, "REDIS": true}

func (v *validator) gateway(p string, gw *networking.Gateway) {
	v.labels(p, ".selector", gw.Selector)
	if len(gw.Servers) == 0 {
		v.errorf(RuleRequired, p+".servers", "a Gateway needs at least one server")
	}
	names := map[string]bool{}
	for i, s := range gw.Servers {
		sp := idx(p+".servers", i)
		if s.Port == nil {
			v.errorf(RuleRequired, sp+".port", "port is required")
		} else {
			v.port(sp+".port.number", s.Port.Number)
			proto := strings.ToUpper(s.Port.Protocol)
			if !gatewayProtocols[proto] {
				v.errorf(RuleValue, sp+".port.protocol", "unknown protocol %q", s.Port.Protocol)
			}
			if s.Port.Name != "" {
				if names[s.Port.Name] {
					v.errorf(RuleUnique, sp+".port.name", "port names must be unique within a Gateway: %q is used twice", s.Port.Name)
				}
				names[s.Port.Name] = true
			}
			if proto == "HTTPS" && s.Tls == nil {
				v.errorf(RuleRequired, sp+".tls", "an HTTPS server needs tls settings")
			}
			if s.Tls != nil && s.Tls.HttpsRedirect && proto != "HTTP" {
				v.warnf(RuleValue, sp+".tls.httpsRedirect", "httpsRedirect has effect only on HTTP servers")
			}
		}
		if len(s.Hosts) == 0 {
			v.errorf(RuleRequired, sp+".hosts", "a server needs at least one host")
		}
		for j, h := range s.Hosts {
			v.namespacedHost(sp, j, h, false, true)
		}
		if t := s.Tls; t != nil && (t.Mode == networking.ServerTLSSettings_SIMPLE || t.Mode == networking.ServerTLSSettings_MUTUAL) && !t.HttpsRedirect {
			if t.CredentialName == "" && len(t.CredentialNames) == 0 && len(t.TlsCertificates) == 0 && (t.ServerCertificate == "" || t.PrivateKey == "") {
				v.errorf(RuleRequired, sp+".tls", "TLS mode %s needs credentialName, or serverCertificate and privateKey", t.Mode)
			}
		}
	}
}
