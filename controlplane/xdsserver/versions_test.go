package xdsserver

import (
	"maps"
	"sync"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
)

// contentGen builds new objects on every call, so that only their content can tell the server
// what changed: cfg shows in the routes, eps in every cluster's endpoints, eps0 in cluster 0's
// alone.
type contentGen struct {
	mu             sync.Mutex
	cfg, eps, eps0 int
}

func (g *contentGen) Affects(*Proxy, Change) bool { return true }

func (g *contentGen) Generate(*Proxy) (map[string][]types.Resource, error) {
	g.mu.Lock()
	cfg, eps, eps0 := g.cfg, g.eps, g.eps0
	g.mu.Unlock()
	res := xdstest.Resources(5, cfg, eps)
	if eps0 > 0 {
		res[resource.EndpointType][0] = xdstest.Resources(5, cfg, eps+eps0)[resource.EndpointType][0]
	}
	return res, nil
}

func (g *contentGen) edit(f func(g *contentGen)) { g.mu.Lock(); f(g); g.mu.Unlock() }

// A push sends only the types whose content changed for the proxy, and of endpoints only the
// clusters changed.
func TestOnlyChangedContentIsSent(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(g *contentGen)
		change Change
		// responses per type, and endpoints (ClusterLoadAssignments) received
		responses map[string]int
		endpoints int
	}{
		{name: "nothing changed", edit: func(*contentGen) {}, change: Change{Kinds: []string{"Service"}}},
		{name: "virtual service: routes only", edit: func(g *contentGen) { g.cfg++ }, change: Change{Kinds: []string{"VirtualService"}},
			responses: map[string]int{resource.RouteType: 1}},
		{name: "every cluster's endpoints", edit: func(g *contentGen) { g.eps++ }, change: Change{Kinds: []string{"EndpointSlice"}, EndpointsOnly: true},
			responses: map[string]int{resource.EndpointType: 1}, endpoints: 5},
		{name: "one cluster's endpoints", edit: func(g *contentGen) { g.eps0++ }, change: Change{Kinds: []string{"EndpointSlice"}, EndpointsOnly: true},
			responses: map[string]int{resource.EndpointType: 1}, endpoints: 1},
		{name: "endpoints in a full push", edit: func(g *contentGen) { g.eps0++ }, change: Change{Kinds: []string{"Service"}},
			responses: map[string]int{resource.EndpointType: 1}, endpoints: 1},
	}
	g := &contentGen{}
	ts := startServer(t, g, nil)
	c := connect(t, ts.addr, 1, "a", false, nil)
	ctx := waitCtx(t)
	if err := c.Wait(ctx, synced); err != nil {
		t.Fatal(err)
	}
	generations := uint64(1)
	for _, tc := range cases {
		before := map[string]int{}
		for _, typ := range allTypes {
			before[typ] = c.Responses(typ)
		}
		endpointsBefore := c.ResourcesReceived(resource.EndpointType)
		g.edit(tc.edit)
		ts.srv.Notify(tc.change)
		// Syncz reads the generation count under the lock the publication holds: once it shows
		// the push, whatever the push sent is on its way.
		generations++
		waitFor(t, func() bool { st := ts.srv.Syncz(); return len(st) == 1 && st[0].Generations == generations })
		// Then a routing change: its routes arrive after anything the case's push sent.
		var cfg int
		g.edit(func(g *contentGen) { g.cfg++; cfg = g.cfg })
		ts.srv.Notify(Change{Kinds: []string{"VirtualService"}})
		generations++
		if err := c.Wait(ctx, hasDomainVersion(cfg)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := maps.Clone(before)
		for typ, n := range tc.responses {
			want[typ] += n
		}
		want[resource.RouteType]++
		for _, typ := range allTypes {
			if got := c.Responses(typ); got != want[typ] {
				t.Errorf("%s: %s: %d responses, want %d", tc.name, shortTypeURL(typ), got-before[typ], want[typ]-before[typ])
			}
		}
		if got := c.ResourcesReceived(resource.EndpointType) - endpointsBefore; got != tc.endpoints {
			t.Errorf("%s: %d endpoints resources sent, want %d", tc.name, got, tc.endpoints)
		}
	}
	// The client, which keeps endpoints it is not sent again, has them all, up to date.
	want, _ := g.Generate(nil)
	got := c.Resources(resource.EndpointType)
	if len(got) != len(want[resource.EndpointType]) {
		t.Fatalf("client has %d endpoints resources, want %d", len(got), len(want[resource.EndpointType]))
	}
	for _, r := range want[resource.EndpointType] {
		name := cache.GetResourceName(r)
		m, err := newMarshalCache().get(resource.EndpointType, r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got[name]) != string(m.any.GetValue()) {
			t.Errorf("endpoints of %s: the client's differ from the server's", name)
		}
	}
}

// scopeGen gives proxies of namespace "a" 5 clusters, the others 6: new objects on every call.
type scopeGen struct{}

func (scopeGen) Affects(*Proxy, Change) bool { return true }
func (scopeGen) Generate(p *Proxy) (map[string][]types.Resource, error) {
	if p.ID.Namespace() == "a" {
		return xdstest.Resources(5, 0, 0), nil
	}
	return xdstest.Resources(6, 0, 0), nil
}

// Proxies given equal content share one copy of each type (its resources, serialization and
// version); a proxy given other content does not.
func TestEqualContentIsShared(t *testing.T) {
	ts := startServer(t, scopeGen{}, nil)
	clients := []*loadtest.Client{connect(t, ts.addr, 1, "a", false, nil), connect(t, ts.addr, 2, "a", false, nil), connect(t, ts.addr, 3, "b", false, nil)}
	ctx := waitCtx(t)
	for _, c := range clients {
		if err := c.Wait(ctx, synced); err != nil {
			t.Fatal(err)
		}
	}
	snap := func(c *loadtest.Client) *snapshot {
		ts.srv.mu.RLock()
		p := ts.srv.proxies[c.Node.GetId()]
		ts.srv.mu.RUnlock()
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.snap
	}
	a1, a2, b := snap(clients[0]), snap(clients[1]), snap(clients[2])
	// b's listener is a's (one listener naming route "80"): equal content, shared too.
	bShares := map[string]bool{resource.ListenerType: true}
	for _, typ := range allTypes {
		i := cache.GetResponseType(typ)
		if a1.sets[i] != a2.sets[i] {
			t.Errorf("%s: the two proxies of namespace a hold two copies", shortTypeURL(typ))
		}
		if shared := a1.sets[i] == b.sets[i]; shared != bShares[typ] || (a1.sets[i].version == b.sets[i].version) != bShares[typ] {
			t.Errorf("%s: the proxy of namespace b shares a's: %v, want %v", shortTypeURL(typ), shared, bShares[typ])
		}
	}
}
