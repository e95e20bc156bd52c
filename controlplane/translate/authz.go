package translate

import (
	"fmt"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	security "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"github.com/meshctl/meshctl/controlplane/model"
	"github.com/meshctl/meshctl/xdscontract"
)

// authzPolicies are the AuthorizationPolicies that select the proxy's workload (selectedBy).
func authzPolicies(s *model.Snapshot, p *Proxy) []*model.Config[*security.AuthorizationPolicy] {
	return selectedBy(s, p, s.AuthorizationPolicies)
}

// workloadPolicy is what AuthorizationPolicy and RequestAuthentication share for selecting
// workloads.
type workloadPolicy interface {
	proto.Message
	GetSelector() *typev1beta1.WorkloadSelector
	GetTargetRef() *typev1beta1.PolicyTargetReference
	GetTargetRefs() []*typev1beta1.PolicyTargetReference
}

// selectedBy are the policies that select the proxy's workload: mesh-wide (root namespace, no
// selector), its namespace's without selector, and those whose selector matches its labels. A
// policy with targetRef(s) is for gateways and waypoints attached by reference: sidecars ignore it,
// as Istio's do.
func selectedBy[T workloadPolicy](s *model.Snapshot, p *Proxy, all []*model.Config[T]) []*model.Config[T] {
	var out []*model.Config[T]
	for _, c := range all {
		if c.Namespace != s.RootNamespace() && c.Namespace != p.Namespace() {
			continue
		}
		if c.Spec.GetTargetRef() != nil || len(c.Spec.GetTargetRefs()) > 0 {
			continue
		}
		if matchesLabels(c.Spec.GetSelector().GetMatchLabels(), p.Labels()) {
			out = append(out, c)
		}
	}
	return out
}

// rbacSet is a workload's policies translated, one RBAC configuration per action, in Istio's
// evaluation order: DENY (CUSTOM included, see customAsDeny), then ALLOW (present only when some
// ALLOW policy selects the workload: none means allow), then AUDIT (Envoy's LOG: never denies).
type rbacSet struct{ deny, allow, audit *rbacv3.RBAC }

func (r rbacSet) list() []*rbacv3.RBAC {
	var out []*rbacv3.RBAC
	for _, c := range []*rbacv3.RBAC{r.deny, r.allow, r.audit} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// authzRBAC translates the policies for an HTTP chain (tcp false) or a TCP chain (tcp true).
func authzRBAC(s *model.Snapshot, p *Proxy, tcp bool) rbacSet {
	var set rbacSet
	get := func(a rbacv3.RBAC_Action, slot **rbacv3.RBAC) *rbacv3.RBAC {
		if *slot == nil {
			*slot = &rbacv3.RBAC{Action: a, Policies: map[string]*rbacv3.Policy{}}
		}
		return *slot
	}
	for _, ap := range authzPolicies(s, p) {
		var cfg *rbacv3.RBAC
		action := ap.Spec.GetAction()
		switch action {
		case security.AuthorizationPolicy_ALLOW:
			cfg = get(rbacv3.RBAC_ALLOW, &set.allow)
		case security.AuthorizationPolicy_DENY, security.AuthorizationPolicy_CUSTOM:
			cfg = get(rbacv3.RBAC_DENY, &set.deny)
			action = security.AuthorizationPolicy_DENY // see customAsDeny
		case security.AuthorizationPolicy_AUDIT:
			cfg = get(rbacv3.RBAC_LOG, &set.audit)
		default:
			continue
		}
		for i, r := range ap.Spec.GetRules() {
			pol, ok := rulePolicy(r, action, tcp)
			if !ok {
				continue // matches nothing: an ALLOW (or AUDIT) rule with what this chain cannot check
			}
			cfg.Policies[fmt.Sprintf("ns[%s]-policy[%s]-rule[%d]", ap.Namespace, ap.Name, i)] = pol
		}
	}
	return set
}

// AuthorizationWarnings are what meshd enforces otherwise than the policies say, for its debug
// endpoints and logs: CUSTOM policies (no external authorizer: their rules deny, failing closed,
// as Istio does when a policy's provider is unusable), rules with conditions the proxy cannot
// check, and RequestAuthentication fields left out.
func AuthorizationWarnings(s *model.Snapshot) []string {
	var out []string
	for _, ap := range s.AuthorizationPolicies {
		for _, w := range Unsupported(ap.Spec) {
			out = append(out, fmt.Sprintf("AuthorizationPolicy %s/%s: %s", ap.Namespace, ap.Name, w))
		}
	}
	for _, ra := range s.RequestAuthentications {
		for _, w := range Unsupported(ra.Spec) {
			out = append(out, fmt.Sprintf("RequestAuthentication %s/%s: %s", ra.Namespace, ra.Name, w))
		}
	}
	return out
}

// Unsupported says what of a security policy meshd does not carry out, and what it does instead:
// the validating webhook hands it to kubectl as warnings, configz and the log list it per policy.
func Unsupported(spec proto.Message) []string {
	var out []string
	switch sp := spec.(type) {
	case *security.AuthorizationPolicy:
		if sp.GetAction() == security.AuthorizationPolicy_CUSTOM {
			out = append(out, fmt.Sprintf("action CUSTOM (provider %q) is not supported: requests its rules match are denied", sp.GetProvider().GetName()))
		}
		for i, r := range sp.GetRules() {
			for _, c := range r.GetWhen() {
				if _, ok := conditions[conditionKey(c.GetKey())]; !ok {
					out = append(out, fmt.Sprintf("rules[%d]: condition %q is not supported: an ALLOW rule with it matches nothing, a DENY rule ignores it", i, c.GetKey()))
				}
			}
		}
	case *security.RequestAuthentication:
		for i, r := range sp.GetJwtRules() {
			if len(r.GetFromCookies()) > 0 || len(r.GetOutputClaimToHeaders()) > 0 {
				out = append(out, fmt.Sprintf("jwtRules[%d]: fromCookies and outputClaimToHeaders are not supported: left out", i))
			}
		}
	}
	return out
}

// rulePolicy is one rule as an Envoy policy: every from (one of its sources), every to (one of its
// operations) and every condition must hold. A field the chain cannot check (HTTP-only on a TCP
// chain, an unknown condition) makes an ALLOW or AUDIT rule match nothing (ok false) and is left
// out of a DENY rule, which then denies more, as Istio documents for TCP.
func rulePolicy(r *security.Rule, action security.AuthorizationPolicy_Action, tcp bool) (_ *rbacv3.Policy, ok bool) {
	t := &ruleTranslator{tcp: tcp, deny: action == security.AuthorizationPolicy_DENY, ok: true}
	var principals []*rbacv3.Principal
	var permissions []*rbacv3.Permission
	if len(r.GetFrom()) > 0 {
		var any []*rbacv3.Principal
		for _, f := range r.GetFrom() {
			any = append(any, t.source(f.GetSource()))
		}
		principals = append(principals, orIDs(any))
	}
	if len(r.GetTo()) > 0 {
		var any []*rbacv3.Permission
		for _, to := range r.GetTo() {
			any = append(any, t.operation(to.GetOperation()))
		}
		permissions = append(permissions, orRules(any))
	}
	for _, c := range r.GetWhen() {
		pr, pe := t.condition(c)
		if pr != nil {
			principals = append(principals, pr)
		}
		if pe != nil {
			permissions = append(permissions, pe)
		}
	}
	if !t.ok {
		return nil, false
	}
	return &rbacv3.Policy{Permissions: []*rbacv3.Permission{andRules(permissions)}, Principals: []*rbacv3.Principal{andIDs(principals)}}, true
}

type ruleTranslator struct {
	tcp, deny bool
	ok        bool // false: the rule can match nothing (ALLOW with a field that cannot be checked)
}

// usable reports whether a field may be translated: on a TCP chain an HTTP-only field is dropped
// from a DENY rule and spoils an ALLOW rule.
func (t *ruleTranslator) usable(httpOnly, known bool) bool {
	if known && (!httpOnly || !t.tcp) {
		return true
	}
	if !t.deny {
		t.ok = false
	}
	return false
}

func (t *ruleTranslator) source(s *security.Source) *rbacv3.Principal {
	var all []*rbacv3.Principal
	add := func(httpOnly bool, values, notValues []string, one func(string) *rbacv3.Principal) {
		if len(values)+len(notValues) == 0 || !t.usable(httpOnly, true) {
			return
		}
		if len(values) > 0 {
			all = append(all, orIDs(mapList(values, one)))
		}
		if len(notValues) > 0 {
			all = append(all, notID(orIDs(mapList(notValues, one))))
		}
	}
	add(false, s.GetPrincipals(), s.GetNotPrincipals(), peerPrincipal)
	add(true, s.GetRequestPrincipals(), s.GetNotRequestPrincipals(), func(v string) *rbacv3.Principal {
		return authnMetadata(v, "request.auth.principal")
	})
	add(false, s.GetNamespaces(), s.GetNotNamespaces(), peerNamespace)
	add(false, s.GetIpBlocks(), s.GetNotIpBlocks(), func(v string) *rbacv3.Principal {
		return &rbacv3.Principal{Identifier: &rbacv3.Principal_DirectRemoteIp{DirectRemoteIp: cidr(v)}}
	})
	add(false, s.GetRemoteIpBlocks(), s.GetNotRemoteIpBlocks(), func(v string) *rbacv3.Principal {
		return &rbacv3.Principal{Identifier: &rbacv3.Principal_RemoteIp{RemoteIp: cidr(v)}}
	})
	return andIDs(all)
}

func (t *ruleTranslator) operation(o *security.Operation) *rbacv3.Permission {
	var all []*rbacv3.Permission
	add := func(httpOnly bool, values, notValues []string, one func(string) *rbacv3.Permission) {
		if len(values)+len(notValues) == 0 || !t.usable(httpOnly, true) {
			return
		}
		if len(values) > 0 {
			all = append(all, orRules(mapList(values, one)))
		}
		if len(notValues) > 0 {
			all = append(all, notRule(orRules(mapList(notValues, one))))
		}
	}
	add(true, o.GetHosts(), o.GetNotHosts(), func(v string) *rbacv3.Permission {
		m := valueMatch(v)
		m.IgnoreCase = true // hosts are case-insensitive (Istio)
		return &rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: &routev3.HeaderMatcher{Name: ":authority",
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: m}}}}
	})
	add(false, o.GetPorts(), o.GetNotPorts(), destinationPort)
	add(true, o.GetMethods(), o.GetNotMethods(), func(v string) *rbacv3.Permission {
		return &rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: headerMatcher(":method", v)}}
	})
	add(true, o.GetPaths(), o.GetNotPaths(), func(v string) *rbacv3.Permission {
		return &rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{
			Rule: &matcherv3.PathMatcher_Path{Path: pathMatch(v)}}}}
	})
	return andRules(all)
}

// conditions are the when keys the proxy checks, and whether each is HTTP-only.
var conditions = map[string]bool{
	"request.headers":        true,
	"source.ip":              false,
	"remote.ip":              false,
	"source.namespace":       false,
	"source.principal":       false,
	"request.auth.principal": true,
	"request.auth.audiences": true,
	"request.auth.presenter": true,
	"request.auth.claims":    true,
	"destination.ip":         false,
	"destination.port":       false,
	"connection.sni":         false,
}

// conditionKey is a when key without its [name] parts: request.headers[x-id] → request.headers.
func conditionKey(k string) string {
	if i := strings.IndexByte(k, '['); i >= 0 {
		return k[:i]
	}
	return k
}

// condition is one when entry: a principal or a permission (nil both when left out).
func (t *ruleTranslator) condition(c *security.Condition) (*rbacv3.Principal, *rbacv3.Permission) {
	key := conditionKey(c.GetKey())
	httpOnly, known := conditions[key]
	if !t.usable(httpOnly, known) {
		return nil, nil
	}
	var one func(string) *rbacv3.Principal
	var perm func(string) *rbacv3.Permission
	switch key {
	case "request.headers":
		name := strings.TrimSuffix(strings.TrimPrefix(c.GetKey(), "request.headers["), "]")
		one = func(v string) *rbacv3.Principal {
			return &rbacv3.Principal{Identifier: &rbacv3.Principal_Header{Header: headerMatcher(name, v)}}
		}
	case "source.ip":
		one = func(v string) *rbacv3.Principal {
			return &rbacv3.Principal{Identifier: &rbacv3.Principal_DirectRemoteIp{DirectRemoteIp: cidr(v)}}
		}
	case "remote.ip":
		one = func(v string) *rbacv3.Principal {
			return &rbacv3.Principal{Identifier: &rbacv3.Principal_RemoteIp{RemoteIp: cidr(v)}}
		}
	case "source.namespace":
		one = peerNamespace
	case "source.principal":
		one = peerPrincipal
	case "request.auth.principal", "request.auth.audiences", "request.auth.presenter":
		one = func(v string) *rbacv3.Principal { return authnMetadata(v, key) }
	case "request.auth.claims":
		path := claimPath(c.GetKey())
		one = func(v string) *rbacv3.Principal { return claimMetadata(path, v) }
	case "destination.ip":
		perm = func(v string) *rbacv3.Permission {
			return &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationIp{DestinationIp: cidr(v)}}
		}
	case "destination.port":
		perm = destinationPort
	case "connection.sni":
		perm = func(v string) *rbacv3.Permission {
			return &rbacv3.Permission{Rule: &rbacv3.Permission_RequestedServerName{RequestedServerName: valueMatch(v)}}
		}
	}
	if perm != nil {
		var all []*rbacv3.Permission
		if len(c.GetValues()) > 0 {
			all = append(all, orRules(mapList(c.GetValues(), perm)))
		}
		if len(c.GetNotValues()) > 0 {
			all = append(all, notRule(orRules(mapList(c.GetNotValues(), perm))))
		}
		return nil, andRules(all)
	}
	var all []*rbacv3.Principal
	if len(c.GetValues()) > 0 {
		all = append(all, orIDs(mapList(c.GetValues(), one)))
	}
	if len(c.GetNotValues()) > 0 {
		all = append(all, notID(orIDs(mapList(c.GetNotValues(), one))))
	}
	return andIDs(all), nil
}

// rbacHTTPFilters are the inbound HTTP chain's RBAC filters, DENY, ALLOW, AUDIT.
func rbacHTTPFilters(set rbacSet) []*hcmv3.HttpFilter {
	var out []*hcmv3.HttpFilter
	for _, r := range set.list() {
		out = append(out, &hcmv3.HttpFilter{Name: xdscontract.FilterHTTPRBAC,
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&rbachttpv3.RBAC{Rules: r})}})
	}
	return out
}

// rbacNetworkFilters are a TCP chain's RBAC filters, before its TCP proxy.
func rbacNetworkFilters(set rbacSet, statPrefix string) []*listenerv3.Filter {
	var out []*listenerv3.Filter
	for _, r := range set.list() {
		out = append(out, &listenerv3.Filter{Name: xdscontract.FilterNetworkRBAC,
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(&rbacnetv3.RBAC{Rules: r, StatPrefix: statPrefix})}})
	}
	return out
}
