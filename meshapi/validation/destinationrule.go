package validation

import (
	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation"
)

func (v *validator) destinationRule(p string, dr *networking.DestinationRule) {
	if dr.Host == "" {
		v.errorf(RuleRequired, p+".host", "host is required")
	} else {
		v.host(p+".host", dr.Host, true)
	}
	v.exportTo(p, dr.ExportTo)
	if dr.WorkloadSelector != nil {
		v.labels(p, ".workloadSelector.matchLabels", dr.WorkloadSelector.MatchLabels)
	}
	v.trafficPolicy(p+".trafficPolicy", dr.TrafficPolicy)
	seen := map[string]bool{}
	for i, s := range dr.Subsets {
		sp := idx(p+".subsets", i)
		switch {
		case s.Name == "":
			v.errorf(RuleRequired, sp+".name", "subset name is required")
		case seen[s.Name]:
			v.errorf(RuleUnique, sp+".name", "duplicate subset name %q", s.Name)
		default:
			if errs := validation.IsDNS1123Label(s.Name); len(errs) > 0 {
				v.errorf(RuleName, sp+".name", "subset name %q is not valid: %s", s.Name, errs[0])
			}
		}
		seen[s.Name] = true
		v.labels(sp, ".labels", s.Labels)
		v.trafficPolicy(sp+".trafficPolicy", s.TrafficPolicy)
	}
}

func (v *validator) trafficPolicy(p string, tp *networking.TrafficPolicy) {
	if tp == nil {
		return
	}
	v.connectionPool(p+".connectionPool", tp.ConnectionPool)
	v.outlierDetection(p+".outlierDetection", tp.OutlierDetection)
	v.clientTLS(p+".tls", tp.Tls)
	if lb := tp.LoadBalancer; lb != nil {
		if ch := lb.GetConsistentHash(); ch != nil && ch.GetHttpCookie() != nil && ch.GetHttpCookie().Name == "" {
			v.errorf(RuleRequired, p+".loadBalancer.consistentHash.httpCookie.name", "cookie name is required")
		}
	}
	ports := map[uint32]bool{}
	for i, pl := range tp.PortLevelSettings {
		pp := idx(p+".portLevelSettings", i)
		if pl.Port == nil {
			v.errorf(RuleRequired, pp+".port", "port is required")
			continue
		}
		v.port(pp+".port.number", pl.Port.Number)
		if ports[pl.Port.Number] {
			v.errorf(RuleUnique, pp+".port.number", "duplicate port %d in portLevelSettings", pl.Port.Number)
		}
		ports[pl.Port.Number] = true
		v.connectionPool(pp+".connectionPool", pl.ConnectionPool)
		v.outlierDetection(pp+".outlierDetection", pl.OutlierDetection)
		v.clientTLS(pp+".tls", pl.Tls)
	}
}

func (v *validator) connectionPool(p string, cp *networking.ConnectionPoolSettings) {
	if cp == nil {
		return
	}
	if t := cp.Tcp; t != nil {
		v.notNegative(p, ".tcp.maxConnections", t.MaxConnections)
		v.duration(p+".tcp.connectTimeout", t.ConnectTimeout)
		v.duration(p+".tcp.maxConnectionDuration", t.MaxConnectionDuration)
		v.duration(p+".tcp.idleTimeout", t.IdleTimeout)
	}
	if h := cp.Http; h != nil {
		v.notNegative(p, ".http.http1MaxPendingRequests", h.Http1MaxPendingRequests)
		v.notNegative(p, ".http.http2MaxRequests", h.Http2MaxRequests)
		v.notNegative(p, ".http.maxRequestsPerConnection", h.MaxRequestsPerConnection)
		v.notNegative(p, ".http.maxRetries", h.MaxRetries)
		v.notNegative(p, ".http.maxConcurrentStreams", h.MaxConcurrentStreams)
		v.duration(p+".http.idleTimeout", h.IdleTimeout)
	}
}

func (v *validator) outlierDetection(p string, od *networking.OutlierDetection) {
	if od == nil {
		return
	}
	v.duration(p+".interval", od.Interval)
	v.duration(p+".baseEjectionTime", od.BaseEjectionTime)
	if od.MaxEjectionPercent < 0 || od.MaxEjectionPercent > 100 {
		v.errorf(RuleRange, p+".maxEjectionPercent", "%d is out of range 0-100", od.MaxEjectionPercent)
	}
	if od.MinHealthPercent < 0 || od.MinHealthPercent > 100 {
		v.errorf(RuleRange, p+".minHealthPercent", "%d is out of range 0-100", od.MinHealthPercent)
	}
}

func (v *validator) clientTLS(p string, t *networking.ClientTLSSettings) {
	if t == nil {
		return
	}
	if t.Mode == networking.ClientTLSSettings_MUTUAL && t.CredentialName == "" && (t.ClientCertificate == "" || t.PrivateKey == "") {
		v.errorf(RuleRequired, p, "mode MUTUAL needs credentialName, or clientCertificate and privateKey")
	}
	if t.CredentialName != "" && (t.ClientCertificate != "" || t.PrivateKey != "" || t.CaCertificates != "") {
		v.errorf(RuleExclusive, p+".credentialName", "credentialName excludes clientCertificate, privateKey and caCertificates")
	}
}
