package authz_test

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/authz"
	"github.com/meshctl/meshctl/proxy/ir"
)

// BenchmarkEvaluate: a workload's policies as a typical mesh has them (a mesh-wide DENY on an IP
// block, an ALLOW of a few rules on principals, methods and paths), for an allowed request.
func BenchmarkEvaluate(b *testing.B) {
	ns := func(n string) ir.Principal {
		return ir.Principal{Kind: ir.PrincipalAuthenticated, String: regex(`.*/ns/` + n + `/.*`)}
	}
	filters := []*ir.RBAC{
		{Action: ir.RBACDeny, Policies: []ir.RBACPolicy{policy("deny-net", anyPerm, ir.Principal{Kind: ir.PrincipalDirectRemoteIP, CIDR: netip.MustParsePrefix("203.0.113.0/24")})}},
		{Action: ir.RBACAllow, Policies: []ir.RBACPolicy{
			policy("ops", ir.Permission{Kind: ir.PermPath, String: prefix("/admin/")}, ns("ops")),
			policy("api", ir.Permission{Kind: ir.PermAnd, Rules: []ir.Permission{
				{Kind: ir.PermOr, Rules: []ir.Permission{{Kind: ir.PermHeader, Header: header(":method", exact("GET"))}, {Kind: ir.PermHeader, Header: header(":method", exact("HEAD"))}}},
				{Kind: ir.PermPath, String: prefix("/api/")}}},
				ir.Principal{Kind: ir.PrincipalOr, IDs: []ir.Principal{ns("default"), ns("shop")}}),
		}},
	}
	a := request()
	b.ReportAllocs()
	for b.Loop() {
		if d := authz.Evaluate(filters, a); d.Denied {
			b.Fatal("denied")
		}
	}
}

// BenchmarkAuthenticate: verifying a request's token (RS256 and ES256), the cost a request with a
// token pays on a workload with a RequestAuthentication.
func BenchmarkAuthenticate(b *testing.B) {
	k := newKeys(b)
	for _, kid := range []string{"rsa", "ec"} {
		b.Run(kid, func(b *testing.B) {
			j := jwtFilter(b, k, nil)
			tok := k.sign(b, kid, claims())
			r, _ := http.NewRequest(http.MethodGet, "http://shop/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			now := time.Now()
			b.Run("cached", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if a, _, ok := j.Authenticate(r, now); !ok || a == nil {
						b.Fatal("not authenticated")
					}
				}
			})
			b.Run("first", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					fresh := jwtFilter(b, k, nil) // an empty cache
					b.StartTimer()
					if a, _, ok := fresh.Authenticate(r, now); !ok || a == nil {
						b.Fatal("not authenticated")
					}
				}
			})
		})
	}
}
