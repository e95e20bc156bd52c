package authz

import (
	"net/http"
	"net/netip"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/route"
)

// Attributes are what RBAC reads of a request or a connection.
type Attributes struct {
	// Peer is the peer's certificate identity (spiffe://...); empty: no authenticated peer.
	Peer string
	// Source is the connection's peer address; Remote the client's (x-forwarded-for or Source).
	Source, Remote netip.Addr
	// DestinationIP and DestinationPort are the connection's original destination.
	DestinationIP   netip.Addr
	DestinationPort uint16
	SNI             string
	// Request is nil on a TCP connection: header and path permissions never match there.
	Request *http.Request
	// Authn is the verified token's attributes; nil: no token.
	Authn *Authn
}

// Decision is the outcome of a chain's RBAC filters.
type Decision struct {
	Denied bool
	// Policy names the policy that decided: the DENY policy that matched, or the ALLOW policy
	// that let the request through; "" when none did (a denial by no ALLOW policy matching).
	Policy string
	// Audited: a LOG (Istio AUDIT) policy matched.
	Audited bool
}

// Evaluate runs the RBAC filters in order, as Envoy's filter chain does: the first denial ends it.
func Evaluate(filters []*ir.RBAC, a *Attributes) Decision {
	var d Decision
	for _, f := range filters {
		name, matched := firstMatch(f.Policies, a)
		switch f.Action {
		case ir.RBACDeny:
			if matched {
				return Decision{Denied: true, Policy: name, Audited: d.Audited}
			}
		case ir.RBACAllow:
			if !matched {
				return Decision{Denied: true, Audited: d.Audited}
			}
			d.Policy = name
		case ir.RBACLog:
			d.Audited = d.Audited || matched
		}
	}
	return d
}

func firstMatch(ps []ir.RBACPolicy, a *Attributes) (string, bool) {
	for i := range ps {
		if policyMatches(&ps[i], a) {
			return ps[i].Name, true
		}
	}
	return "", false
}

func policyMatches(p *ir.RBACPolicy, a *Attributes) bool {
	perm := false
	for i := range p.Permissions {
		if permissionMatches(&p.Permissions[i], a) {
			perm = true
			break
		}
	}
	if !perm {
		return false
	}
	for i := range p.Principals {
		if principalMatches(&p.Principals[i], a) {
			return true
		}
	}
	return false
}

func permissionMatches(p *ir.Permission, a *Attributes) bool {
	switch p.Kind {
	case ir.PermAny:
		return true
	case ir.PermAnd:
		for i := range p.Rules {
			if !permissionMatches(&p.Rules[i], a) {
				return false
			}
		}
		return true
	case ir.PermOr:
		for i := range p.Rules {
			if permissionMatches(&p.Rules[i], a) {
				return true
			}
		}
		return false
	case ir.PermNot:
		return !permissionMatches(&p.Rules[0], a)
	case ir.PermHeader:
		return a.Request != nil && route.MatchHeader(&p.Header, a.Request)
	case ir.PermPath:
		return a.Request != nil && route.MatchString(&p.String, a.Request.URL.Path)
	case ir.PermDestinationPort:
		return a.DestinationPort == p.Port
	case ir.PermDestinationIP:
		return a.DestinationIP.IsValid() && p.CIDR.Contains(a.DestinationIP.Unmap())
	case ir.PermServerName:
		return route.MatchString(&p.String, a.SNI)
	}
	return false
}

func principalMatches(p *ir.Principal, a *Attributes) bool {
	switch p.Kind {
	case ir.PrincipalAny:
		return true
	case ir.PrincipalAnd:
		for i := range p.IDs {
			if !principalMatches(&p.IDs[i], a) {
				return false
			}
		}
		return true
	case ir.PrincipalOr:
		for i := range p.IDs {
			if principalMatches(&p.IDs[i], a) {
				return true
			}
		}
		return false
	case ir.PrincipalNot:
		return !principalMatches(&p.IDs[0], a)
	case ir.PrincipalAuthenticated:
		return a.Peer != "" && route.MatchString(&p.String, a.Peer)
	case ir.PrincipalDirectRemoteIP:
		return a.Source.IsValid() && p.CIDR.Contains(a.Source.Unmap())
	case ir.PrincipalRemoteIP:
		return a.Remote.IsValid() && p.CIDR.Contains(a.Remote.Unmap())
	case ir.PrincipalHeader:
		return a.Request != nil && route.MatchHeader(&p.Header, a.Request)
	case ir.PrincipalMetadata:
		return a.Authn != nil && a.Authn.matches(&p.Metadata)
	}
	return false
}
