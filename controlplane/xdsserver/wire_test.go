package xdsserver

import (
	"bytes"
	"strings"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meshctl/meshctl/controlplane/xdsserver/xdstest"
)

// The codec's responses are, byte for byte, what proto.Marshal makes of the same
// DiscoveryResponse, whatever the resources' sizes (one- to three-byte length prefixes: a route
// of 1,000 virtual hosts), an empty resource, a partial list, no resources, empty fields; and
// the shared serializations are referenced, not copied.
func TestResponseWireIsProtoMarshal(t *testing.T) {
	mc := newMarshalCache()
	sets := map[string]*typeSet{}
	for url, items := range xdstest.Resources(1000, 3, 7) {
		ts, err := mc.typeSet(url, items)
		if err != nil {
			t.Fatal(err)
		}
		sets[url] = ts
	}
	empty, err := mc.typeSet(resource.EndpointType, []types.Resource{
		&endpointv3.ClusterLoadAssignment{}, // serializes to nothing: the Any has no value field
		&endpointv3.ClusterLoadAssignment{ClusterName: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	some := sets[resource.EndpointType].allItems()
	partial := []*marshaled{some[3], some[500], some[999]}
	cases := []struct {
		name                    string
		version, typeURL, nonce string
		items                   []*marshaled
	}{
		{"clusters", sets[resource.ClusterType].version, resource.ClusterType, "1", sets[resource.ClusterType].allItems()},
		{"endpoints", sets[resource.EndpointType].version, resource.EndpointType, "2", some},
		{"endpoints in part", sets[resource.EndpointType].version, resource.EndpointType, "3", partial},
		{"listener", sets[resource.ListenerType].version, resource.ListenerType, "4", sets[resource.ListenerType].allItems()},
		{"route of 1,000 virtual hosts", sets[resource.RouteType].version, resource.RouteType, "5", sets[resource.RouteType].allItems()},
		{"an empty resource", empty.version, resource.EndpointType, "6", empty.allItems()},
		{"no resources", sets[resource.EndpointType].version, resource.EndpointType, "7", nil},
		{"no version, nonce or type", "", "", "", partial},
		{"long strings", strings.Repeat("v", 200), strings.Repeat("t", 300), strings.Repeat("9", 130), partial},
	}
	c := codec{proto: encoding.GetCodecV2(grpcproto.Name)}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			anys := make([]*anypb.Any, len(tc.items))
			for i, m := range tc.items {
				anys[i] = m.any
			}
			r := newResponse(tc.version, tc.typeURL, tc.nonce, tc.items, anys)
			want, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.DiscoveryResponse)
			if err != nil {
				t.Fatal(err)
			}
			if !r.encodable() {
				t.Fatal("response not encodable")
			}
			data, err := c.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			got := data.Materialize()
			if !bytes.Equal(got, want) {
				t.Fatalf("wire differs from proto.Marshal: %d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
			if r.size() != len(want) {
				t.Errorf("size %d, want %d", r.size(), len(want))
			}
			// The resources' bytes are the shared entries themselves.
			shared := 0
			for _, b := range data {
				for _, m := range tc.items {
					if e := m.wire.ReadOnlyData(); len(e) > 0 && len(b.ReadOnlyData()) > 0 && &b.ReadOnlyData()[0] == &e[0] {
						shared++
						break
					}
				}
			}
			if shared != len(tc.items) {
				t.Errorf("%d of %d resources referenced, not copied", shared, len(tc.items))
			}
			data.Free()
			var back discovery.DiscoveryResponse
			if err := proto.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&back, r.DiscoveryResponse) {
				t.Error("decoded response differs")
			}
		})
	}
	// The values are go-control-plane's serialization of each resource.
	for _, ts := range sets {
		for _, e := range ts.entries {
			b, err := cache.MarshalResource(e.res)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, e.m.any.GetValue()) {
				t.Fatalf("shared value of %s is not cache.MarshalResource's", cache.GetResourceName(e.res))
			}
		}
	}
}

// The codec leaves everything but the ADS loop's responses to gRPC's proto codec: requests,
// plain DiscoveryResponses, and a response changed after it was built.
func TestCodecOtherMessagesAsProto(t *testing.T) {
	c := codec{proto: encoding.GetCodecV2(grpcproto.Name)}
	mc := newMarshalCache()
	ts, err := mc.typeSet(resource.EndpointType, xdstest.Resources(3, 0, 0)[resource.EndpointType])
	if err != nil {
		t.Fatal(err)
	}
	changed := newResponse(ts.version, resource.EndpointType, "1", ts.allItems(), ts.allAnys())
	changed.ControlPlane = &core.ControlPlane{Identifier: "meshd"}
	swapped := newResponse(ts.version, resource.EndpointType, "1", ts.allItems(), []*anypb.Any{ts.allAnys()[1], ts.allAnys()[0], ts.allAnys()[2]})
	for name, m := range map[string]proto.Message{
		"request":             &discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: []string{"a", "b"}},
		"plain response":      &discovery.DiscoveryResponse{VersionInfo: "1", Resources: ts.allAnys()},
		"control plane set":   changed,
		"resources reordered": swapped,
	} {
		t.Run(name, func(t *testing.T) {
			if r, ok := m.(*response); ok && r.encodable() {
				t.Fatal("a changed response is taken as encodable")
			}
			data, err := c.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			want, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data.Materialize(), want) {
				t.Error("differs from proto.Marshal")
			}
			data.Free()
		})
	}
	var req discovery.DiscoveryRequest
	in := &discovery.DiscoveryRequest{TypeUrl: "t", ResponseNonce: "n"}
	data, err := c.proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Unmarshal(data, &req); err != nil || !proto.Equal(&req, in) {
		t.Fatalf("Unmarshal: %v, %v", err, &req)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
