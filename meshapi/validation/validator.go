package validation

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	extensions "istio.io/api/extensions/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	networkingbeta "istio.io/api/networking/v1beta1"
	security "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"
	typev1beta1 "istio.io/api/type/v1beta1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshctl/meshctl/meshapi"
)

// validator collects the problems of one message. Rules take the path of the value they check; at the
// root of a document ("") paths start with "." and add drops it.
type validator struct {
	errs FieldErrors
}

func (v *validator) message(msg proto.Message, p string) {
	switch m := msg.(type) {
	case *networking.VirtualService:
		v.virtualService(p, m)
	case *networking.DestinationRule:
		v.destinationRule(p, m)
	case *networking.Gateway:
		v.gateway(p, m)
	case *networking.ServiceEntry:
		v.serviceEntry(p, m)
	case *networking.Sidecar:
		v.sidecar(p, m)
	case *networking.WorkloadEntry:
		v.workloadEntry(p, m)
	case *networking.WorkloadGroup:
		v.workloadGroup(p, m)
	case *networking.EnvoyFilter:
		if m.WorkloadSelector != nil {
			v.labels(p, ".workloadSelector.labels", m.WorkloadSelector.Labels)
		}
	case *networkingbeta.ProxyConfig:
		v.workloadSelector(p+".selector", m.Selector, false)
	case *security.AuthorizationPolicy:
		v.authorizationPolicy(p, m)
	case *security.PeerAuthentication:
		v.peerAuthentication(p, m)
	case *security.RequestAuthentication:
		v.requestAuthentication(p, m)
	case *telemetry.Telemetry:
		v.workloadSelector(p+".selector", m.Selector, m.TargetRef != nil || len(m.TargetRefs) > 0)
	case *extensions.WasmPlugin:
		v.workloadSelector(p+".selector", m.Selector, m.TargetRef != nil || len(m.TargetRefs) > 0)
	}
}

func (v *validator) add(sev Severity, rule Rule, field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: strings.TrimPrefix(field, "."), Message: fmt.Sprintf(format, args...), Severity: sev, Rule: rule})
}

func (v *validator) errorf(rule Rule, field, format string, args ...any) {
	v.add(Error, rule, field, format, args...)
}

func (v *validator) warnf(rule Rule, field, format string, args ...any) {
	v.add(Warning, rule, field, format, args...)
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func key(path, k string) string { return path + `["` + k + `"]` }

// host checks a host name: a DNS name whose first label may be "*", or "*" alone; IPs when allowIP.
func (v *validator) host(field, h string, allowIP bool) {
	if err := checkHost(h, allowIP); err != nil {
		v.errorf(RuleHost, field, "%v", err)
	}
}

func checkHost(h string, allowIP bool) error {
	switch {
	case h == "":
		return fmt.Errorf("host must not be empty")
	case h == "*":
		return nil
	case allowIP && net.ParseIP(h) != nil:
		return nil
	}
	if len(h) > 255 {
		return fmt.Errorf("host %q is longer than 255 characters", h)
	}
	labels := strings.Split(h, ".")
	for i, l := range labels {
		if i == 0 && l == "*" {
			continue
		}
		if strings.Contains(l, "*") {
			return fmt.Errorf("host %q: a wildcard is allowed only as the whole first label (*.example.com)", h)
		}
		if i == len(labels)-1 && l == "" && i > 0 {
			continue // a trailing dot
		}
		if errs := validation.IsDNS1123Label(strings.ToLower(l)); len(errs) > 0 {
			return fmt.Errorf("host %q is not a valid DNS name: label %q: %s", h, l, errs[0])
		}
	}
	return nil
}

// namespacedHost checks host j of a Gateway server or Sidecar egress listener (at path parent):
// namespace/host, where the namespace may be "*", "." or "~". The host's path is built only for a
// problem, since most hosts are fine.
func (v *validator) namespacedHost(parent string, j int, h string, requireNamespace, allowIP bool) {
	ns, host, found := strings.Cut(h, "/")
	if !found {
		if requireNamespace {
			v.errorf(RuleHost, idx(parent+".hosts", j), "host %q must have the form namespace/host", h)
			return
		}
		host, ns = ns, ""
	}
	if found && ns != "*" && ns != "." && ns != "~" {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			v.errorf(RuleName, idx(parent+".hosts", j), "host %q: invalid namespace %q", h, ns)
		}
	}
	if err := checkHost(host, allowIP); err != nil {
		v.errorf(RuleHost, idx(parent+".hosts", j), "%v", err)
	}
}

func (v *validator) port(field string, n uint32) {
	if !meshapi.IsValidPort(uint64(n)) {
		v.errorf(RulePort, field, "port number %d is out of range 1-65535", n)
	}
}

// duration checks a duration Istio requires to be at least 1ms.
func (v *validator) duration(field string, d *durationpb.Duration) {
	if d == nil {
		return
	}
	if dd := d.AsDuration(); dd < time.Millisecond {
		v.errorf(RuleDuration, field, "duration %s must be at least 1ms", dd)
	}
}

func (v *validator) percent(field string, p float64) {
	if p < 0 || p > 100 {
		v.errorf(RuleRange, field, "percentage %v is out of range 0-100", p)
	}
}

// notNegative checks the field at path parent+rel; the path is built only for a problem.
func (v *validator) notNegative(parent, rel string, n int32) {
	if n < 0 {
		v.errorf(RuleRange, parent+rel, "must not be negative")
	}
}

func (v *validator) regex(field, re string) {
	_, err := regexp.Compile(re)
	if err == nil {
		return
	}
	reason := err.Error()
	var se *syntax.Error
	if errors.As(err, &se) {
		reason = fmt.Sprintf("%s: `%s`", se.Code, se.Expr)
	}
	v.errorf(RuleRegex, field, "regular expression invalid: %q (%s)", re, reason)
}

// labels checks a label map (selector, subset labels) at path parent+rel against Kubernetes' label
// syntax. Paths are built only for a problem: every object has label maps, few have problems.
func (v *validator) labels(parent, rel string, m map[string]string) {
	for k, val := range m {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.errorf(RuleLabels, key(parent+rel, k), "invalid label key %q: %s", k, errs[0])
		}
		if errs := validation.IsValidLabelValue(val); len(errs) > 0 {
			v.errorf(RuleLabels, key(parent+rel, k), "invalid label value %q: %s", val, errs[0])
		}
	}
}

// workloadSelector checks a selector and that it is not combined with targetRef(s).
func (v *validator) workloadSelector(field string, sel *typev1beta1.WorkloadSelector, hasTargetRef bool) {
	if sel == nil {
		return
	}
	v.labels(field, ".matchLabels", sel.GetMatchLabels())
	if hasTargetRef {
		v.errorf(RuleExclusive, field, "selector and targetRef(s) exclude each other")
	}
}

// exportTo checks the exportTo list of the object at parent.
func (v *validator) exportTo(parent string, list []string) {
	for i, e := range list {
		if e == "." || e == "*" || e == "~" {
			continue
		}
		if errs := validation.IsDNS1123Label(e); len(errs) > 0 {
			v.errorf(RuleExportTo, idx(parent+".exportTo", i), "exportTo %q is not \".\", \"*\" or a namespace name", e)
		}
	}
}

func (v *validator) address(field, a string) {
	if _, err := netip.ParseAddr(a); err == nil {
		return
	}
	if _, err := netip.ParsePrefix(a); err == nil {
		return
	}
	v.errorf(RuleAddress, field, "%q is not an IP address or CIDR range", a)
}

// portMap checks the named ports of an endpoint.
func (v *validator) portMap(field string, ports map[string]uint32) {
	for name, port := range ports {
		if port == 0 || port > 65535 {
			v.errorf(RulePort, key(field, name), "port number %d is out of range 1-65535", port)
		}
	}
}
