package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/tlsconf"
)

// upstreamTLS is a cluster's TLS origination: the cluster's own transport and the per-endpoint
// choices of its transport socket matches (auto mTLS), each nil for plaintext.
type upstreamTLS struct {
	def     *tls.Config
	matches []tlsChoice
}

type tlsChoice struct {
	match map[string]string
	cfg   *tls.Config
}

// newUpstreamTLS builds the cluster's TLS configurations; a secret the proxy cannot resolve makes
// the cluster warm (no endpoints), as Envoy keeps a cluster warming until its SDS secrets arrive.
func newUpstreamTLS(cfg *ir.Cluster, secrets tlsconf.Secrets) (*upstreamTLS, string) {
	u := &upstreamTLS{}
	build := func(t *ir.TLS) (*tls.Config, string) {
		if t == nil {
			return nil, ""
		}
		if why := tlsconf.Unresolvable(t, secrets); why != "" {
			return nil, why
		}
		c, err := tlsconf.Client(t, secrets)
		if err != nil {
			return nil, err.Error()
		}
		return c, ""
	}
	var why string
	if u.def, why = build(cfg.TLS); why != "" {
		return nil, "transport_socket: " + why
	}
	for _, m := range cfg.TLSMatches {
		c, why := build(m.TLS)
		if why != "" {
			return nil, "transport_socket_matches " + m.Name + ": " + why
		}
		u.matches = append(u.matches, tlsChoice{m.Match, c})
	}
	return u, ""
}

// forEndpoint is the transport of an endpoint with the given metadata: the first match that holds,
// else the cluster's.
func (u *upstreamTLS) forEndpoint(md map[string]string) *tls.Config {
	for _, m := range u.matches {
		if subset(m.match, md) {
			return m.cfg
		}
	}
	return u.def
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// handshake originates TLS on a new connection, within the connect timeout.
func (c *Cluster) handshake(ctx context.Context, conn net.Conn, cfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		c.Stats.SSLHandshakeFail.Add(1)
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// setEndpointTLS records the transport of each endpoint the matches choose for (callers hold c.mu).
func (c *Cluster) setEndpointTLS(eps []ir.Endpoint) {
	if c.tls == nil || len(c.tls.matches) == 0 {
		return
	}
	m := make(map[string]*tls.Config, len(eps))
	for _, e := range eps {
		m[e.Address] = c.tls.forEndpoint(e.TLSMatch)
	}
	c.tlsByAddr.Store(&m)
}

// tlsFor is the TLS configuration to reach addr with (nil: plaintext).
func (c *Cluster) tlsFor(addr string) *tls.Config {
	if c.tls == nil {
		return nil
	}
	if m := c.tlsByAddr.Load(); m != nil {
		if cfg, ok := (*m)[addr]; ok {
			return cfg
		}
	}
	return c.tls.forEndpoint(nil)
}
