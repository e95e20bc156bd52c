package listener

import (
	"cmp"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/meshctl/meshctl/proxy/accesslog"
	"github.com/meshctl/meshctl/proxy/authz"
	"github.com/meshctl/meshctl/proxy/ir"
	"github.com/meshctl/meshctl/proxy/route"
)

// chainAuth is a chain's request authentication (HTTP) and RBAC filters; nil when it has none.
type chainAuth struct {
	jwt  *authz.JWT
	rbac []*ir.RBAC
}

func compileAuth(fc *ir.FilterChain) (*chainAuth, error) {
	switch {
	case fc.HTTP != nil && (fc.HTTP.JWT != nil || len(fc.HTTP.RBAC) > 0):
		a := &chainAuth{rbac: fc.HTTP.RBAC}
		if fc.HTTP.JWT != nil {
			j, err := authz.NewJWT(fc.HTTP.JWT)
			if err != nil {
				return nil, fmt.Errorf("jwt_authn: %w", err)
			}
			a.jwt = j
		}
		return a, nil
	case fc.TCP != nil && len(fc.TCP.RBAC) > 0:
		return &chainAuth{rbac: fc.TCP.RBAC}, nil
	}
	return nil, nil
}

// peerIdentity is the peer's certificate identity as RBAC's authenticated principals name it.
func (st *connState) peerIdentity() string {
	if st.principal == "" {
		return ""
	}
	return "spiffe://" + st.principal
}

// authorizeHTTP runs the chain's jwt_authn and RBAC filters on a request; false when it answered
// (401 or 403, as Envoy's filters do).
func (m *Manager) authorizeHTTP(a *chainAuth, w http.ResponseWriter, r *http.Request, st *connState, info *accesslog.Info) bool {
	var authn *authz.Authn
	if a.jwt != nil {
		var msg string
		var ok bool
		authn, msg, ok = a.jwt.Authenticate(r, time.Now())
		if !ok {
			m.Stats.JWTDenied.Add(1)
			w.Header().Set("Www-Authenticate", `Bearer realm="http://`+r.Host+r.URL.Path+`", error="invalid_token"`)
			route.LocalReply(w, r, info, http.StatusUnauthorized, 0, "jwt_authn_access_denied{"+strings.ReplaceAll(msg, " ", "_")+"}", msg)
			return false
		}
	}
	if len(a.rbac) == 0 {
		return true
	}
	attrs := authz.Attributes{Peer: st.peerIdentity(), Source: st.remote.Addr(), Remote: st.remote.Addr(),
		DestinationIP: st.dst.Addr(), DestinationPort: st.dst.Port(), SNI: st.sni, Request: r, Authn: authn}
	if !st.rconn.UseRemoteAddress {
		// The client is the last address x-forwarded-for names, when there is one (Envoy with
		// use_remote_address false and no trusted hops).
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			last := strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:])
			if ip, err := netip.ParseAddr(last); err == nil {
				attrs.Remote = ip
			}
		}
	}
	d := authz.Evaluate(a.rbac, &attrs)
	if d.Audited {
		m.Stats.RBACAudited.Add(1)
	}
	if d.Denied {
		m.Stats.RBACDenied.Add(1)
		route.LocalReply(w, r, info, http.StatusForbidden, accesslog.RBACAccessDenied,
			"rbac_access_denied_matched_policy["+cmp.Or(d.Policy, "none")+"]", "RBAC: access denied")
		return false
	}
	return true
}

// authorizeTCP runs a TCP chain's network RBAC filters on a new connection; false: close it.
func (m *Manager) authorizeTCP(a *chainAuth, st *connState, info *accesslog.Info) bool {
	d := authz.Evaluate(a.rbac, &authz.Attributes{Peer: st.peerIdentity(), Source: st.remote.Addr(), Remote: st.remote.Addr(),
		DestinationIP: st.dst.Addr(), DestinationPort: st.dst.Port(), SNI: st.sni})
	if d.Audited {
		m.Stats.RBACAudited.Add(1)
	}
	if d.Denied {
		m.Stats.RBACDenied.Add(1)
		info.Fail(0, accesslog.RBACAccessDenied, "rbac_access_denied_matched_policy["+cmp.Or(d.Policy, "none")+"]")
		return false
	}
	return true
}

// latest is the chain as the current snapshot has it (a chain of the same name on the same
// listener), so policy updates reach connections opened before them; c when it is gone.
func (s *snapshot) latest(c *chain) *chain {
	if l := s.listeners[c.listener]; l != nil {
		for _, nc := range l.chains {
			if nc.cfg.Name == c.cfg.Name {
				return nc
			}
		}
		if l.def != nil && l.def.cfg.Name == c.cfg.Name {
			return l.def
		}
	}
	return c
}
