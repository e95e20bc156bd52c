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
	// unusable says why the endpoints this match picks cannot be reached yet (a secret the proxy
	// cannot resolve): they are left out, the cluster's other endpoints serve.
	unusable string
}

// unresolved counts the cluster's TLS settings that name a secret secrets does not know (yet).
func unresolved(cfg *ir.Cluster, secrets tlsconf.Secrets) int {
	n := 0
	if tlsconf.Unresolvable(cfg.TLS, secrets) != "" {
		n++
	}
	for _, m := range cfg.TLSMatches {
		if tlsconf.Unresolvable(m.TLS, secrets) != "" {
			n++
		}
	}
	return n
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
		u.matches = append(u.matches, tlsChoice{m.Match, c, why})
	}
	return u, ""
}

// forEndpoint is the transport of an endpoint with the given metadata: the first match that holds,
// else the cluster's; unusable says why the endpoint cannot be reached yet.
func (u *upstreamTLS) forEndpoint(md map[string]string) (cfg *tls.Config, unusable string) {
	for _, m := range u.matches {
		if subset(m.match, md) {
			return m.cfg, m.unusable
		}
	}
	return u.def, ""
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

// endpointTLS records the transport of each endpoint the matches choose for, and returns the
// endpoints that can be reached: without an identity, a proxy leaves out the endpoints it would speak
// mutual TLS to and keeps the plaintext ones (callers hold c.mu).
func (c *Cluster) endpointTLS(eps []ir.Endpoint) []ir.Endpoint {
	if c.tls == nil || len(c.tls.matches) == 0 {
		return eps
	}
	m := make(map[string]*tls.Config, len(eps))
	usable := eps[:0:0]
	for _, e := range eps {
		cfg, why := c.tls.forEndpoint(e.TLSMatch)
		if why != "" {
			continue
		}
		m[e.Address] = cfg
		usable = append(usable, e)
	}
	c.tlsByAddr.Store(&m)
	return usable
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
	cfg, _ := c.tls.forEndpoint(nil)
	return cfg
}
