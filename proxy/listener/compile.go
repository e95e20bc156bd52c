package listener

import (
	"crypto/tls"
	"fmt"
	"net/netip"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/route"
	"github.com/meshctl/meshctl/proxy/tlsconf"
)

// snapshot is a compiled configuration: what a connection or request reads, through one atomic load,
// without locks. Never modified once published.
type snapshot struct {
	cfg       *ir.Config
	clusters  map[string]*cluster.Cluster
	routes    map[string]*route.Table // RDS tables by name
	listeners map[string]*listener
	bound     map[netip.AddrPort]*listener // the listeners that listen, by address
	byAddr    map[netip.AddrPort]*listener // original destination hand-off: exact address ...
	byPort    map[uint16]*listener         // ... or any address on the port
}

type listener struct {
	cfg            *ir.Listener
	chains         []*chain
	def            *chain
	sniff          bool
	restoreOrigDst bool
	// sniffPorts are the destination ports whose chains need the first bytes; sniffAll: a chain
	// of any port does. Other connections are not held back (a server-first protocol on a port
	// with no sniffed chain starts at once).
	sniffPorts map[uint16]bool
	sniffAll   bool
}

// sniffs reports whether a connection to port must be sniffed before its chain is chosen.
func (l *listener) sniffs(port uint16) bool { return l.sniff && (l.sniffAll || l.sniffPorts[port]) }

// chain is a compiled filter chain.
type chain struct {
	cfg      *ir.FilterChain
	listener string       // to find the chain's inline route table in a later snapshot
	inline   *route.Table // HTTP with an inline route configuration
	tcp      []tcpTarget
	total    uint32
	split    *cluster.Split
	logs     []*accesslog.Logger // the chain's access logs; none: the proxy's own
	tls      *tls.Config         // TLS termination; nil: plaintext
	auth     *chainAuth          // jwt_authn and RBAC; nil: none
}

type tcpTarget struct {
	name   string
	c      *cluster.Cluster
	weight uint32
}

// logFile resolves an access log path to its logger.
type logFile func(path string) (*accesslog.Logger, error)

func compile(cfg *ir.Config, clusters map[string]*cluster.Cluster, ropts route.Options, logs logFile, secrets tlsconf.Secrets) (*snapshot, error) {
	s := &snapshot{
		cfg: cfg, clusters: clusters,
		routes:    map[string]*route.Table{},
		listeners: map[string]*listener{},
		bound:     map[netip.AddrPort]*listener{},
		byAddr:    map[netip.AddrPort]*listener{},
		byPort:    map[uint16]*listener{},
	}
	ropts.Clusters = clusters
	for name, rc := range cfg.Routes {
		t, err := route.Compile(rc, ropts)
		if err != nil {
			return nil, err
		}
		s.routes[name] = t
	}
	for _, l := range cfg.Listeners {
		cl := &listener{cfg: l, restoreOrigDst: l.OriginalDst || l.UseOriginalDst}
		if _, dup := s.listeners[l.Name]; dup {
			return nil, fmt.Errorf("listener %s: the name is used twice", l.Name)
		}
		for _, fc := range l.Chains {
			if fc.Warming != "" || tlsconf.Unresolvable(fc.TLS, secrets) != "" {
				continue // not usable yet: connections it would match fall to the default chain
			}
			c, err := compileChain(l, fc, clusters, ropts, logs, secrets)
			if err != nil {
				return nil, err
			}
			cl.chains = append(cl.chains, c)
			m := fc.Match
			if m.TransportProtocol != "" || len(m.ServerNames) > 0 || len(m.ApplicationProtocols) > 0 {
				cl.sniff = true
				if m.DestinationPort == 0 {
					cl.sniffAll = true
				} else {
					if cl.sniffPorts == nil {
						cl.sniffPorts = map[uint16]bool{}
					}
					cl.sniffPorts[m.DestinationPort] = true
				}
			}
		}
		if d := l.DefaultChain; d != nil && d.Warming == "" && tlsconf.Unresolvable(d.TLS, secrets) == "" {
			c, err := compileChain(l, d, clusters, ropts, logs, secrets)
			if err != nil {
				return nil, err
			}
			cl.def = c
		}
		cl.sniff = cl.sniff && (l.InspectHTTP || l.InspectTLS)
		s.listeners[l.Name] = cl
		if l.BindToPort {
			if _, dup := s.bound[l.Address]; dup {
				return nil, fmt.Errorf("listener %s: address %s is bound by another listener", l.Name, l.Address)
			}
			s.bound[l.Address] = cl
		}
		if l.Address.Addr().IsUnspecified() {
			s.byPort[l.Address.Port()] = cl
		} else {
			s.byAddr[l.Address] = cl
		}
	}
	return s, nil
}

func compileChain(l *ir.Listener, fc *ir.FilterChain, clusters map[string]*cluster.Cluster, ropts route.Options, logs logFile, secrets tlsconf.Secrets) (*chain, error) {
	c := &chain{cfg: fc, listener: l.Name}
	if fc.TLS != nil {
		t, err := tlsconf.Server(fc.TLS, secrets)
		if err != nil {
			return nil, fmt.Errorf("listener %s: chain %s: transport_socket: %w", l.Name, fc.Name, err)
		}
		c.tls = t
	}
	var paths []string
	if fc.HTTP != nil {
		paths = fc.HTTP.AccessLogs
	} else if fc.TCP != nil {
		paths = fc.TCP.AccessLogs
	}
	for _, p := range paths {
		lg, err := logs(p)
		if err != nil {
			return nil, fmt.Errorf("listener %s: chain %s: %w", l.Name, fc.Name, err)
		}
		c.logs = append(c.logs, lg)
	}
	auth, err := compileAuth(fc)
	if err != nil {
		return nil, fmt.Errorf("listener %s: chain %s: %w", l.Name, fc.Name, err)
	}
	c.auth = auth
	switch {
	case fc.HTTP != nil && fc.TCP == nil:
		if fc.HTTP.Route != nil {
			t, err := route.Compile(fc.HTTP.Route, ropts)
			if err != nil {
				return nil, fmt.Errorf("listener %s: chain %s: %w", l.Name, fc.Name, err)
			}
			c.inline = t
		} else if fc.HTTP.RouteName == "" {
			return nil, fmt.Errorf("listener %s: chain %s: HTTP without a route configuration", l.Name, fc.Name)
		}
	case fc.TCP != nil && fc.HTTP == nil:
		for _, wc := range fc.TCP.Clusters {
			c.tcp = append(c.tcp, tcpTarget{name: wc.Name, c: clusters[wc.Name], weight: wc.Weight})
			c.total += wc.Weight
		}
		if len(c.tcp) == 0 {
			return nil, fmt.Errorf("listener %s: chain %s: TCP proxy without a cluster", l.Name, fc.Name)
		}
		c.split = cluster.NewSplit()
	default:
		return nil, fmt.Errorf("listener %s: chain %s: needs exactly one of HTTP and TCP", l.Name, fc.Name)
	}
	return c, nil
}

// dispatch finds the listener a connection to dst is handed to: the one on that address, else the
// one on any address of that port.
func (s *snapshot) dispatch(dst netip.AddrPort) *listener {
	if l := s.byAddr[dst]; l != nil {
		return l
	}
	if l := s.byAddr[netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())]; l != nil {
		return l
	}
	return s.byPort[dst.Port()]
}

// table is the route table for a request on chain c: looked up in the current snapshot, so route
// updates reach connections opened before them.
func (s *snapshot) table(c *chain) *route.Table {
	if c.inline != nil {
		if l := s.listeners[c.listener]; l != nil {
			for _, nc := range l.chains {
				if nc.cfg.Name == c.cfg.Name && nc.inline != nil {
					return nc.inline
				}
			}
		}
		return c.inline
	}
	return s.routes[c.cfg.HTTP.RouteName]
}
