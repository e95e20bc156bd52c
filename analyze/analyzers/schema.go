package analyzers

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	typev1beta1 "istio.io/api/type/v1beta1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshctl/meshctl/analyze"
)

// schemaAnalyzer checks every Istio resource field by field: what the decoder found (unknown fields,
// wrong types, bad enum values, fields that exclude each other) and the API's semantic rules, as Istio
// documents them (hosts, ports, durations, weights, regexes, label maps).
type schemaAnalyzer struct{}

func (schemaAnalyzer) Metadata() analyze.Metadata {
	return analyze.Metadata{
		Name:        "schema",
		Description: "Validates Istio resources against their API: types, unknown fields, enums, and the semantic rules of each field",
		Codes:       []string{"IST0106", "IST0133", "IST0122"},
		Inputs:      istioKinds,
	}
}

var istioKinds = []analyze.GroupKind{
	analyze.KindVirtualService, analyze.KindDestinationRule, analyze.KindGateway, analyze.KindServiceEntry, analyze.KindSidecar,
	analyze.KindEnvoyFilter, analyze.KindWorkloadEntry, analyze.KindWorkloadGroup, analyze.KindProxyConfig,
	analyze.KindAuthorizationPolicy, analyze.KindPeerAuthentication, analyze.KindRequestAuthentication,
	analyze.KindTelemetry, analyze.KindWasmPlugin,
}

func (schemaAnalyzer) Analyze(c *analyze.Context) {
	for _, gk := range istioKinds {
		for _, o := range c.Store.List(gk) {
			v := &validator{c: c, o: o}
			for _, e := range o.SpecErrors {
				v.errorf(e.Field, "%s", e.Message)
			}
			if o.Spec == nil || len(o.SpecErrors) > 0 {
				continue // semantic rules on a half-decoded spec would only repeat the errors
			}
			switch gk {
			case analyze.KindVirtualService:
				v.virtualService()
			case analyze.KindDestinationRule:
				v.destinationRule()
			case analyze.KindGateway:
				v.gateway()
			case analyze.KindServiceEntry:
				v.serviceEntry()
			case analyze.KindSidecar:
				v.sidecar()
			case analyze.KindAuthorizationPolicy:
				v.authorizationPolicy()
			case analyze.KindPeerAuthentication:
				v.peerAuthentication()
			case analyze.KindRequestAuthentication:
				v.requestAuthentication()
			case analyze.KindWorkloadEntry:
				v.workloadEntry()
			case analyze.KindTelemetry, analyze.KindWasmPlugin, analyze.KindEnvoyFilter, analyze.KindWorkloadGroup, analyze.KindProxyConfig:
				v.selectorOnly()
			}
		}
	}
}

// validator reports the problems of one object.
type validator struct {
	c *analyze.Context
	o *analyze.Object
}

func (v *validator) errorf(field, format string, args ...any) {
	v.c.Report("IST0106", v.o, field, "Schema validation error: %s%s", prefix(field), fmt.Sprintf(format, args...))
}

func (v *validator) warnf(field, format string, args ...any) {
	v.c.Report("IST0133", v.o, field, "Schema validation warning: %s%s", prefix(field), fmt.Sprintf(format, args...))
}

func prefix(field string) string {
	if field == "" {
		return ""
	}
	return field + ": "
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// host checks a host name: a DNS name whose first label may be "*", or "*" alone; IPs when allowIP.
func (v *validator) host(field, h string, allowIP bool) {
	if err := checkHost(h, allowIP); err != nil {
		v.errorf(field, "%v", err)
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

func (v *validator) port(field string, n uint32) {
	if n == 0 || n > 65535 {
		v.errorf(field, "port number %d is out of range 1-65535", n)
	}
}

// duration checks a duration Istio requires to be at least 1ms.
func (v *validator) duration(field string, d *durationpb.Duration) {
	if d == nil {
		return
	}
	if dd := d.AsDuration(); dd < time.Millisecond {
		v.errorf(field, "duration %s must be at least 1ms", dd)
	}
}

func (v *validator) percent(field string, p float64) {
	if p < 0 || p > 100 {
		v.errorf(field, "percentage %v is out of range 0-100", p)
	}
}

func (v *validator) regex(field, re string) {
	if _, err := regexp.Compile(re); err != nil {
		v.c.Report("IST0122", v.o, field, "Field %q regular expression invalid: %q (%v)", field, re, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
}

// labels checks a label map (selector, subset labels) against Kubernetes' label syntax.
func (v *validator) labels(field string, m map[string]string) {
	for k, val := range m {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.errorf(field+`["`+k+`"]`, "invalid label key %q: %s", k, errs[0])
		}
		if errs := validation.IsValidLabelValue(val); len(errs) > 0 {
			v.errorf(field+`["`+k+`"]`, "invalid label value %q: %s", val, errs[0])
		}
	}
}

// workloadSelector checks a selector and that it is not combined with targetRef(s).
func (v *validator) workloadSelector(field string, sel *typev1beta1.WorkloadSelector, hasTargetRef bool) {
	if sel == nil {
		return
	}
	v.labels(field+".matchLabels", sel.GetMatchLabels())
	if hasTargetRef {
		v.errorf(field, "selector and targetRef(s) exclude each other")
	}
}

func (v *validator) exportTo(field string, list []string) {
	for i, e := range list {
		if e == "." || e == "*" || e == "~" {
			continue
		}
		if errs := validation.IsDNS1123Label(e); len(errs) > 0 {
			v.errorf(idx(field, i), "exportTo %q is not \".\", \"*\" or a namespace name", e)
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
	v.errorf(field, "%q is not an IP address or CIDR range", a)
}

// selectorOnly validates the selector of kinds that have no other semantic rules here.
func (v *validator) selectorOnly() {
	sel, _ := v.o.Get("spec.selector").(map[string]any)
	if sel == nil {
		return
	}
	if ml, ok := sel["matchLabels"].(map[string]any); ok {
		m := map[string]string{}
		for k, x := range ml {
			s, _ := x.(string)
			m[k] = s
		}
		v.labels("spec.selector.matchLabels", m)
	}
}
