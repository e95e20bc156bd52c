package listener

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/meshctl/meshctl/proxy/tlsconf"
)

// tlsHandshakeTimeout bounds a downstream TLS handshake (Envoy's transport socket connect timeout).
const tlsHandshakeTimeout = 10 * time.Second

// terminateTLS completes the server side of a TLS handshake on a chain that terminates TLS.
func (m *Manager) terminateTLS(conn net.Conn, ch *chain) (*tls.Conn, error) {
	tc := tls.Server(conn, ch.tls)
	ctx, cancel := context.WithTimeout(m.ctx, tlsHandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		m.Stats.SSLHandshakeFail.Add(1)
		return nil, err
	}
	return tc, nil
}

const xfcc = "X-Forwarded-Client-Cert"

// forwardClientCert sets x-forwarded-client-cert on an inbound request as Istio's sidecars do
// (SANITIZE_SET): the workload's own identity (By), the peer certificate's hash and SPIFFE URI on a
// mutual TLS connection; a client's own header is never passed on.
func (m *Manager) forwardClientCert(r *http.Request, st *connState) {
	if st.peer == nil || st.chain.cfg.TLS == nil {
		r.Header.Del(xfcc)
		return
	}
	v := "Hash=" + tlsconf.ClientCertHash(st.peer) + `;Subject=""`
	if st.principal != "" {
		v += ";URI=spiffe://" + st.principal
	}
	if n := st.chain.cfg.TLS.CertificateSecret; n != "" {
		if c, ok := m.secrets.Certificate(n); ok && c.Leaf != nil {
			if by := tlsconf.SPIFFEPrincipal(c.Leaf); by != "" {
				v = "By=spiffe://" + by + ";" + v
			}
		}
	}
	r.Header.Set(xfcc, v)
}
