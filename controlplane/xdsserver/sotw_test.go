package xdsserver

import (
	"slices"
	"strings"
	"testing"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/meshctl/meshctl/controlplane/loadtest"
	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
)

// A stream subscribed by name to every resource of its snapshot's type holds the snapshot's list
// of names, not one of its own (nor a map per name): with 1,000 proxies of 1,000 EDS clusters,
// per-stream copies were most of meshd's heap. A narrower subscription keeps one sorted list, and
// what it no longer asks for is sent again when asked for again.
func TestSubscriptionSharesSnapshotNames(t *testing.T) {
	const clusters = 1000
	s, err := New(Options{Generator: newFakeGen(clusters)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.cancel)
	var got []*discovery.DiscoveryResponse
	ss := s.newSotwStream(func(r *response) error { got = append(got, r.DiscoveryResponse); return nil })
	t.Cleanup(ss.close)
	node, err := loadtest.SidecarNode(1, "a", "1.31.1")
	if err != nil {
		t.Fatal(err)
	}
	// Names as a decoded request has them: strings of their own, in the proxy's order.
	all := func() []string {
		out := make([]string, 0, clusters)
		for i := clusters - 1; i >= 0; i-- {
			out = append(out, strings.Clone(xdstest.ClusterName(i)))
		}
		return out
	}
	req := func(names []string) *discovery.DiscoveryResponse {
		t.Helper()
		got = nil
		r := &discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: names}
		if sub := ss.subs[types.Endpoint]; sub.nonce != "" {
			r.VersionInfo, r.ResponseNonce = sub.version, sub.nonce
		}
		if err := ss.request(r); err != nil {
			t.Fatal(err)
		}
		if len(got) > 1 {
			t.Fatalf("%d responses to one request", len(got))
		}
		if len(got) == 0 {
			return nil
		}
		return got[0]
	}
	if err := ss.request(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, Node: node}); err != nil {
		t.Fatal(err)
	}
	set := ss.published().set(resource.EndpointType)
	if len(set.names) != clusters {
		t.Fatalf("the snapshot has %d endpoints resources, want %d", len(set.names), clusters)
	}
	sub := func() *sotwSub { return &ss.subs[types.Endpoint] }

	if r := req(all()); len(r.GetResources()) != clusters {
		t.Fatalf("first EDS response: %d resources, want %d", len(r.GetResources()), clusters)
	}
	if r := req(all()); r != nil {
		t.Fatalf("the ACK was answered with %d resources", len(r.GetResources()))
	}
	if !sameSlice(sub().names, set.names) || !sameSlice(sub().hasNames, set.names) {
		t.Errorf("a subscription equal to the snapshot's names keeps its own list (%d names, %d held)", len(sub().names), len(sub().hasNames))
	}

	narrow := all()[1:] // without the last cluster
	if r := req(narrow); r != nil {
		t.Errorf("narrowing the subscription sent %d resources", len(r.GetResources()))
	}
	if sameSlice(sub().names, set.names) || !slices.IsSorted(sub().names) || len(sub().names) != clusters-1 {
		t.Errorf("narrower subscription: %d names (sorted: %v), shared with the snapshot: %v", len(sub().names), slices.IsSorted(sub().names), sameSlice(sub().names, set.names))
	}
	r := req(all())
	if len(r.GetResources()) != 1 || anyResourceName(r.GetResources()[0].GetValue()) != xdstest.ClusterName(clusters-1) {
		t.Fatalf("asked for again, the dropped cluster is not sent alone: %d resources", len(r.GetResources()))
	}
	req(all())
	if !sameSlice(sub().names, set.names) || !sameSlice(sub().hasNames, set.names) {
		t.Errorf("widened back to the snapshot's names, the subscription keeps its own list")
	}
}

// anyResourceName reads field 1 (a ClusterLoadAssignment's cluster_name) of a serialized resource.
func anyResourceName(b []byte) string {
	if len(b) < 2 || b[0] != 0x0a {
		return ""
	}
	n := int(b[1])
	if n >= 0x80 || 2+n > len(b) {
		return ""
	}
	return string(b[2 : 2+n])
}
