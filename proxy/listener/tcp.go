package listener

import (
	"context"
	"net"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/tcpproxy"
)

// serveTCP proxies an opaque TCP connection to an endpoint of the chain's cluster.
func (m *Manager) serveTCP(down net.Conn, st *connState) {
	m.active.Add(1)
	m.mu.Lock()
	m.tcp[down] = struct{}{}
	m.mu.Unlock()
	info := accesslog.New()
	defer func() {
		m.mu.Lock()
		delete(m.tcp, down)
		m.mu.Unlock()
		down.Close()
		m.active.Add(-1)
		info.Duration = time.Since(info.Start)
		st.chain.logTo(info, m.opts.AccessLog)
		if m.opts.Observe != nil {
			m.opts.Observe(info)
		}
		accesslog.Release(info)
	}()
	info.Start = time.Now()
	info.DownstreamLocal, info.DownstreamRemote, info.ServerName = st.local, st.remote, st.sni
	info.Inbound = st.chain.cfg.TCP.Inbound
	if a := m.current.Load().latest(st.chain).auth; a != nil && !m.authorizeTCP(a, st, info) {
		return
	}
	t := st.chain.pickTCP()
	info.Cluster = t.name
	if t.c == nil {
		info.Fail(0, accesslog.NoClusterFound, "cluster_not_found")
		return
	}
	h, err := t.c.Pick(nil, st.rconn.OrigDst)
	if err != nil {
		info.Fail(0, accesslog.NoHealthyUpstream, "no_healthy_upstream")
		return
	}
	if err := t.c.Acquire(m.ctx); err != nil {
		info.Fail(0, accesslog.UpstreamOverflow, "overflow")
		return
	}
	defer t.c.Release()
	t.c.Begin(h)
	info.UpstreamHost = h.Addr
	up, err := t.c.Dial(context.Background(), h)
	if err != nil {
		t.c.End(h, 0, true)
		info.Fail(0, accesslog.UpstreamConnectionFailure, "upstream_connect_failure")
		info.UpstreamFailure = err.Error()
		return
	}
	info.UpstreamLocal = up.LocalAddr().String()
	sent, received := tcpproxy.Pipe(down, up)
	info.BytesSent, info.BytesReceived = sent, received
	t.c.End(h, -1, false)
}

func (c *chain) pickTCP() *tcpTarget {
	return cluster.PickWeighted(c.split, c.tcp, c.total, func(t *tcpTarget) uint32 { return t.weight })
}
