package capture

import (
	"net/netip"

	"github.com/meshctl/meshctl/meshapi"
)

// Chain names. The two base chains only dispatch TCP to the two regular ones, as istio-iptables'
// ISTIO_INBOUND and ISTIO_OUTPUT do.
const (
	ChainPrerouting = "prerouting"
	ChainOutput     = "output"
	ChainInbound    = "inbound"
	ChainOutbound   = "outbound"
)

var (
	loopback4 = netip.MustParsePrefix("127.0.0.1/32")
	loopback6 = netip.MustParsePrefix("::1/128")
	// The proxy connects to the application from these addresses (upstream_bind_config of inbound
	// clusters), so that the connection, which crosses lo, is not captured again.
	passthrough4 = netip.PrefixFrom(meshapi.InboundPassthroughSource4, 32)
	passthrough6 = netip.PrefixFrom(meshapi.InboundPassthroughSource6, 128)
)

// Rules is the ruleset for a capture configuration, in istio-iptables' order of evaluation.
func Rules(c Config) Ruleset {
	inboundOn := c.IncludeInboundPorts.All || len(c.IncludeInboundPorts.Ports) > 0

	pre := Chain{Name: ChainPrerouting, Hook: HookPrerouting}
	out := Chain{Name: ChainOutput, Hook: HookOutput}
	for _, name := range c.ExcludeInterfaces {
		pre.Rules = append(pre.Rules, rule(ret(), iif(name)))
		out.Rules = append(out.Rules, rule(ret(), oif(name)))
	}
	pre.Rules = append(pre.Rules, rule(jump(ChainInbound), tcp()))
	out.Rules = append(out.Rules, rule(jump(ChainOutbound), tcp()))

	in := Chain{Name: ChainInbound}
	if c.IncludeInboundPorts.All {
		for _, p := range c.ExcludeInboundPorts.Ports {
			in.Rules = append(in.Rules, rule(ret(), dport(p)))
		}
		in.Rules = append(in.Rules, rule(redirect(c.InboundPort), tcp()))
	} else {
		for _, p := range c.IncludeInboundPorts.Ports {
			in.Rules = append(in.Rules, rule(redirect(c.InboundPort), dport(p)))
		}
	}

	ob := Chain{Name: ChainOutbound}
	add := func(v Verdict, m ...Match) { ob.Rules = append(ob.Rules, rule(v, m...)) }
	for _, p := range c.ExcludeOutboundPorts.Ports {
		add(ret(), dport(p))
	}
	add(ret(), saddr(passthrough4), oif("lo"))
	add(ret(), saddr(passthrough6), oif("lo"))
	owners := []struct {
		ids   []uint32
		match func(uint32, bool) Match
	}{{c.ProxyUIDs, skuid}, {c.ProxyGIDs, skgid}}
	keepLoopback := !c.IncludeOutboundCIDRs.containsLoopback()
	for _, o := range owners {
		for _, id := range o.ids {
			if inboundOn {
				// The proxy calling a local address other than localhost (the pod's own IP, when an
				// application calls its own service) goes through the inbound side like any other
				// caller. Without inbound capture it reaches the application directly.
				add(redirect(c.InboundPort), oif("lo"), daddr(loopback4, true), o.match(id, false), tcp())
				add(redirect(c.InboundPort), oif("lo"), daddr(loopback6, true), o.match(id, false), tcp())
			}
			if keepLoopback {
				add(ret(), oif("lo"), o.match(id, true)) // an application calling itself
			}
			add(ret(), o.match(id, false)) // the proxy's own connections
		}
	}
	add(ret(), daddr(loopback4, false))
	add(ret(), daddr(loopback6, false))
	for _, p := range c.ExcludeOutboundCIDRs.Prefixes {
		add(ret(), daddr(p, false))
	}
	for _, p := range c.IncludeOutboundPorts.Ports {
		add(redirect(c.OutboundPort), dport(p))
	}
	if c.IncludeOutboundCIDRs.All {
		add(redirect(c.OutboundPort), tcp())
	} else {
		for _, p := range c.IncludeOutboundCIDRs.Prefixes {
			add(redirect(c.OutboundPort), daddr(p, false), tcp())
		}
	}
	return Ruleset{Chains: []Chain{pre, out, in, ob}}
}

// containsLoopback: an include list that names loopback asks for localhost traffic to be captured too.
func (l CIDRList) containsLoopback() bool {
	for _, p := range l.Prefixes {
		if p.Contains(loopback4.Addr()) || p.Contains(loopback6.Addr()) {
			return true
		}
	}
	return false
}
