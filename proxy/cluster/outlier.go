package cluster

import (
	"context"
	"time"
)

// Envoy's defaults where the configuration leaves a field out.
const (
	defaultInterval       = 10 * time.Second
	defaultBaseEjection   = 30 * time.Second
	maxEjectionTime       = 300 * time.Second
	defaultMaxEjectionPct = 10
)

// observe counts consecutive failures and ejects the host when a count reaches its threshold, at
// once, as Envoy does for consecutive errors.
func (c *Cluster) observe(h *Host, status int, failed, connectFailed bool) {
	od := c.cfg.Outlier
	gateway := connectFailed || status == 502 || status == 503 || status == 504
	eject := false
	if od.SplitLocalOrigin {
		// Local-origin failures (the proxy could not connect) count apart from the answers.
		if connectFailed {
			if n := h.cLocal.Add(1); od.ConsecutiveLocalOrigin > 0 && int(n) >= od.ConsecutiveLocalOrigin {
				c.eject(h)
			}
			return
		}
		if h.cLocal.Load() != 0 {
			h.cLocal.Store(0)
		}
		gateway = status == 502 || status == 503 || status == 504
	}
	if failed {
		if n := h.c5xx.Add(1); od.Consecutive5xx > 0 && int(n) >= od.Consecutive5xx {
			eject = true
		}
	} else if h.c5xx.Load() != 0 {
		h.c5xx.Store(0)
	}
	if gateway {
		if n := h.cGateway.Add(1); od.ConsecutiveGatewayFailure > 0 && int(n) >= od.ConsecutiveGatewayFailure {
			eject = true
		}
	} else if h.cGateway.Load() != 0 {
		h.cGateway.Store(0)
	}
	if eject {
		c.eject(h)
	}
}

func (c *Cluster) eject(h *Host) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.hosts.Load()
	if h.Ejected() || set.byAddr[h.Addr] != h {
		return
	}
	ejected := 0
	for _, o := range set.all {
		if o.Ejected() {
			ejected++
		}
	}
	pct := c.cfg.Outlier.MaxEjectionPercent
	if pct <= 0 {
		pct = defaultMaxEjectionPct
	}
	// Envoy ejects at least one host whatever the percentage.
	if allowed := max(1, len(set.all)*pct/100); ejected >= allowed {
		return
	}
	base := c.cfg.Outlier.BaseEjectionTime
	if base <= 0 {
		base = defaultBaseEjection
	}
	n := h.ejections.Add(1)
	d := min(base*time.Duration(n), max(maxEjectionTime, base))
	h.ejected.Store(timeNow().Add(d).UnixNano())
	h.c5xx.Store(0)
	h.cGateway.Store(0)
	h.cLocal.Store(0)
	c.Stats.EjectionsTotal.Add(1)
	c.Stats.EjectionsActive.Add(1)
	c.log.Info("outlier ejected", "host", h.Addr, "for", d, "ejections", n)
	c.publishLocked(&hostSet{all: set.all, byAddr: set.byAddr})
}

// sweepOutliers returns ejected hosts whose time is up, every interval.
func (c *Cluster) sweepOutliers(ctx context.Context) {
	interval := c.cfg.Outlier.Interval
	if interval <= 0 {
		interval = defaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.sweep()
		}
	}
}

func (c *Cluster) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.hosts.Load()
	now := timeNow().UnixNano()
	changed := false
	for _, h := range set.all {
		until := h.ejected.Load()
		switch {
		case until != 0 && until <= now:
			h.ejected.Store(0)
			c.Stats.EjectionsActive.Add(-1)
			c.log.Info("outlier returned", "host", h.Addr)
			changed = true
		case until == 0 && h.ejections.Load() > 0 && h.c5xx.Load() == 0:
			h.ejections.Add(-1) // a host that behaves earns back shorter ejections
		}
	}
	if changed {
		c.publishLocked(&hostSet{all: set.all, byAddr: set.byAddr})
	}
}
