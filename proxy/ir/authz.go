package ir

import "net/netip"

// RBACAction is what an RBAC filter does with the policies that match.
type RBACAction int

const (
	// RBACAllow: a request no policy matches is denied.
	RBACAllow RBACAction = iota
	// RBACDeny: a request a policy matches is denied.
	RBACDeny
	// RBACLog: a request a policy matches is marked audited; nothing is denied.
	RBACLog
)

func (a RBACAction) String() string { return [...]string{"ALLOW", "DENY", "LOG"}[a] }

// RBAC is one RBAC filter (Envoy's semantics): the chain's filters run in order and the first
// denial ends the request or connection.
type RBAC struct {
	Action   RBACAction
	Policies []RBACPolicy // sorted by name: the first that matches names the decision
}

// RBACPolicy matches when one of its permissions and one of its principals match.
type RBACPolicy struct {
	Name        string
	Permissions []Permission
	Principals  []Principal
}

// PermissionKind says which field of a Permission applies.
type PermissionKind int

const (
	PermAny PermissionKind = iota
	PermAnd
	PermOr
	PermNot // Rules[0] must not match
	PermHeader
	PermPath // the path without its query
	PermDestinationPort
	PermDestinationIP
	PermServerName // the connection's TLS SNI
)

// Permission is a condition on what is asked for.
type Permission struct {
	Kind   PermissionKind
	Rules  []Permission
	Header HeaderMatch // names canonical (http.CanonicalHeaderKey), pseudo-headers as they are
	String StringMatch // PermPath, PermServerName
	Port   uint16
	CIDR   netip.Prefix // PermDestinationIP
}

// PrincipalKind says which field of a Principal applies.
type PrincipalKind int

const (
	PrincipalAny PrincipalKind = iota
	PrincipalAnd
	PrincipalOr
	PrincipalNot // IDs[0] must not match
	PrincipalAuthenticated
	PrincipalDirectRemoteIP
	PrincipalRemoteIP
	PrincipalHeader
	PrincipalMetadata
)

// Principal is a condition on who asks.
type Principal struct {
	Kind     PrincipalKind
	IDs      []Principal
	String   StringMatch // PrincipalAuthenticated: the peer's identity (spiffe://...)
	CIDR     netip.Prefix
	Header   HeaderMatch
	Metadata MetadataMatch
}

// MetadataMatch reads the verified request credentials (Istio's istio_authn keys): Path is the key,
// then nested claim names.
type MetadataMatch struct {
	Path []string
	// List: the value must be a list (a string counts as a list of itself) with one element
	// matching Value; otherwise a string matching Value (or a list holding one).
	List  bool
	Value StringMatch
}

// JWTAuthn verifies request tokens (Envoy's jwt_authn, the one form Istio sends): a token found in
// a provider's locations must verify with the provider of its issuer; no token at all passes.
type JWTAuthn struct {
	Providers []JWTProvider // sorted by name
}

// JWTProvider is one issuer's verification.
type JWTProvider struct {
	Name      string
	Issuer    string
	Audiences []string // empty: any
	JWKS      string   // the key set, JSON
	// FromHeaders and FromParams are where tokens are looked for; both empty: Authorization Bearer
	// and the access_token parameter.
	FromHeaders []JWTHeader
	FromParams  []string
	// Forward keeps the token in the request; otherwise its header is removed.
	Forward bool
	// PayloadHeader, when set, receives the verified payload (base64url).
	PayloadHeader string
}

// JWTHeader is a header a token is read from, after the prefix.
type JWTHeader struct{ Name, Prefix string }
