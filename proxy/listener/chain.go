package listener

import (
	"net/netip"
	"slices"
	"strings"
)

// matchChain picks a listener's filter chain as Envoy does: level by level (destination port,
// destination prefix, server name, transport protocol, application protocol), the chains with the
// most specific value matching the connection survive, or, when none has one, the chains that leave
// the field unset. There is no backtracking: a connection that survives on a specific port but
// matches none of that port's chains further down gets no chain (then the default chain).
func matchChain(chains []*chain, dst netip.AddrPort, s sniffed) *chain {
	cands := chains
	cands = level(cands, func(c *chain) int {
		switch p := c.cfg.Match.DestinationPort; {
		case p == 0:
			return 0
		case p == dst.Port():
			return 1
		}
		return -1
	})
	cands = level(cands, func(c *chain) int {
		if len(c.cfg.Match.PrefixRanges) == 0 {
			return 0
		}
		best := -1
		for _, p := range c.cfg.Match.PrefixRanges {
			if p.Contains(dst.Addr().Unmap()) || p.Contains(dst.Addr()) {
				best = max(best, 1+p.Bits())
			}
		}
		return best
	})
	cands = level(cands, func(c *chain) int {
		if len(c.cfg.Match.ServerNames) == 0 {
			return 0
		}
		best := -1
		for _, n := range c.cfg.Match.ServerNames {
			switch {
			case strings.EqualFold(n, s.sni):
				best = max(best, 1000)
			case strings.HasPrefix(n, "*.") && s.sni != "" && len(s.sni) > len(n)-1 &&
				strings.HasSuffix(strings.ToLower(s.sni), strings.ToLower(n[1:])):
				best = max(best, len(n))
			}
		}
		return best
	})
	cands = level(cands, func(c *chain) int {
		switch t := c.cfg.Match.TransportProtocol; {
		case t == "":
			return 0
		case t == s.transport:
			return 1
		}
		return -1
	})
	cands = level(cands, func(c *chain) int {
		if len(c.cfg.Match.ApplicationProtocols) == 0 {
			return 0
		}
		for _, p := range c.cfg.Match.ApplicationProtocols {
			if p == s.protocol || slices.Contains(s.alpn, p) {
				return 1
			}
		}
		return -1
	})
	if len(cands) == 0 {
		return nil
	}
	return cands[0]
}

// level keeps the candidates with the highest score (>0: specific match, 0: field unset, <0: no
// match), in their order. It allocates only when it drops a candidate.
func level(cands []*chain, score func(*chain) int) []*chain {
	best := -1
	for _, c := range cands {
		best = max(best, score(c))
	}
	if best < 0 {
		return nil
	}
	all := true
	for _, c := range cands {
		if score(c) != best {
			all = false
			break
		}
	}
	if all {
		return cands
	}
	out := make([]*chain, 0, len(cands))
	for _, c := range cands {
		if score(c) == best {
			out = append(out, c)
		}
	}
	return out
}
