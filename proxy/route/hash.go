package route

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/ir"
)

// requestHash is the consistent-hashing key of a request: the first policy that yields a value.
func requestHash(policies []ir.HashPolicy, w http.ResponseWriter, r *http.Request, conn *Conn) (uint64, bool) {
	for i := range policies {
		p := &policies[i]
		switch p.Kind {
		case ir.HashHeader:
			if v := r.Header.Get(p.Name); v != "" {
				return cluster.HashString(v), true
			}
		case ir.HashCookie:
			if v, ok := cookieValue(r, p.Name); ok {
				return cluster.HashString(v), true
			}
			if p.TTL > 0 {
				v := newCookieValue()
				c := &http.Cookie{Name: p.Name, Value: v, Path: p.Path, MaxAge: int(p.TTL.Seconds()), HttpOnly: true}
				w.Header().Add("Set-Cookie", c.String())
				return cluster.HashString(v), true
			}
		case ir.HashSourceIP:
			if conn.RemoteIP != "" {
				return cluster.HashString(conn.RemoteIP), true
			}
		case ir.HashQuery:
			if v, ok := queryValue(r.URL.RawQuery, p.Name); ok {
				return cluster.HashString(v), true
			}
		}
	}
	return 0, false
}

// cookieValue finds one cookie without parsing them all.
func cookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && k == name {
				return strings.Trim(v, `"`), true
			}
		}
	}
	return "", false
}

func newCookieValue() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
