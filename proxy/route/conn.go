package route

import "net/netip"

// Conn is what routing needs to know of the downstream connection a request came on.
type Conn struct {
	OrigDst netip.AddrPort // the connection's original destination (ORIGINAL_DST clusters)
	Remote  netip.AddrPort
	// RemoteIP is Remote's address as text, computed once per connection for x-forwarded-for and
	// source-IP hashing.
	RemoteIP string
	// UseRemoteAddress: append RemoteIP to x-forwarded-for (gateways).
	UseRemoteAddress bool
}
