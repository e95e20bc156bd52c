package capture

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// PortList is a set of TCP ports, or every port (the "*" wildcard).
type PortList struct {
	All   bool
	Ports []uint16 // sorted, without duplicates; empty with All
}

// ParsePortList parses istio-iptables' port lists: "*" or comma-separated port numbers, spaces around
// them allowed, "" meaning none.
func ParsePortList(s string) (PortList, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		return PortList{All: true}, nil
	}
	var l PortList
	for _, item := range splitList(s) {
		if item == "*" {
			return PortList{}, fmt.Errorf("\"*\" must be the whole list")
		}
		n, err := strconv.ParseUint(item, 10, 16)
		if err != nil || n == 0 {
			return PortList{}, fmt.Errorf("%q is not a port (1-65535)", item)
		}
		l.Ports = append(l.Ports, uint16(n))
	}
	slices.Sort(l.Ports)
	l.Ports = slices.Compact(l.Ports)
	return l, nil
}

// String formats the list as ParsePortList reads it.
func (l PortList) String() string {
	if l.All {
		return "*"
	}
	parts := make([]string, len(l.Ports))
	for i, p := range l.Ports {
		parts[i] = strconv.Itoa(int(p))
	}
	return strings.Join(parts, ",")
}

// CIDRList is a set of IP ranges, or every address (the "*" wildcard).
type CIDRList struct {
	All      bool
	Prefixes []netip.Prefix // masked, IPv4 before IPv6, without duplicates; empty with All
}

// ParseCIDRList parses istio-iptables' CIDR lists: "*" or comma-separated CIDRs (a bare address is a
// single host), "" meaning none. Unlike istio-iptables, which skips an entry it cannot parse, a bad entry
// is an error: a typo would otherwise silently leave traffic uncaptured.
func ParseCIDRList(s string) (CIDRList, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		return CIDRList{All: true}, nil
	}
	var l CIDRList
	for _, item := range splitList(s) {
		if item == "*" {
			return CIDRList{}, fmt.Errorf("\"*\" must be the whole list")
		}
		p, err := parsePrefix(item)
		if err != nil {
			return CIDRList{}, fmt.Errorf("%q is not a CIDR", item)
		}
		l.Prefixes = append(l.Prefixes, p)
	}
	slices.SortFunc(l.Prefixes, comparePrefix)
	l.Prefixes = slices.Compact(l.Prefixes)
	return l, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("bad address %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func comparePrefix(a, b netip.Prefix) int {
	if a.Addr().Is4() != b.Addr().Is4() {
		if a.Addr().Is4() {
			return -1
		}
		return 1
	}
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// String formats the list as ParseCIDRList reads it.
func (l CIDRList) String() string {
	if l.All {
		return "*"
	}
	parts := make([]string, len(l.Prefixes))
	for i, p := range l.Prefixes {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// parseIDList parses a comma-separated list of user or group ids.
func parseIDList(s string) ([]uint32, error) {
	var ids []uint32
	for _, item := range splitList(s) {
		n, err := strconv.ParseUint(item, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a numeric id", item)
		}
		ids = append(ids, uint32(n))
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// splitList splits a comma-separated list, trimming spaces; "" is the empty list, and an empty item
// between commas is kept so that the caller rejects it.
func splitList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	items := strings.Split(s, ",")
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	return items
}
