package cluster

import (
	"context"
	"net"
	"net/netip"
	"time"
)

const defaultDNSRefresh = 5 * time.Second

// resolveLoop turns a STRICT_DNS cluster's hostnames into hosts, every refresh interval, keeping the
// last answer when a lookup fails.
func (c *Cluster) resolveLoop(ctx context.Context) {
	t := time.NewTicker(c.dnsRefresh())
	defer t.Stop()
	for {
		c.resolve(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Cluster) resolve(ctx context.Context) {
	c.mu.Lock()
	eps := c.endpoints
	c.mu.Unlock()
	var out []weighted
	for _, e := range expand(eps) {
		host, port, err := net.SplitHostPort(e.addr)
		if err != nil {
			continue
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			out = append(out, weighted{netip.AddrPortFrom(ip, 0).Addr().String() + ":" + port, e.weight, e.locality, e.priority})
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, c.dnsRefresh())
		ips, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
		cancel()
		if err != nil {
			c.log.Warn("dns lookup failed; keeping the last answer", "host", host, "err", err)
			return
		}
		for _, ip := range ips {
			out = append(out, weighted{net.JoinHostPort(ip.Unmap().String(), port), e.weight, e.locality, e.priority})
		}
	}
	c.mu.Lock()
	c.rebuildLocked(out)
	c.mu.Unlock()
}

func (c *Cluster) dnsRefresh() time.Duration {
	if c.cfg.DNSRefresh > 0 {
		return c.cfg.DNSRefresh
	}
	return defaultDNSRefresh
}
