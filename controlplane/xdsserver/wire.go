package xdsserver

import (
	"fmt"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// The field numbers of envoy.service.discovery.v3.DiscoveryResponse and google.protobuf.Any
// that a state-of-the-world response sets. proto.Marshal writes a message's fields in number
// order, so that order is the one encodeResponse keeps: its output is byte for byte proto.Marshal's.
const (
	responseVersionInfo protowire.Number = 1
	responseResources   protowire.Number = 2
	responseTypeURL     protowire.Number = 4
	responseNonce       protowire.Number = 5
	anyTypeURL          protowire.Number = 1
	anyValue            protowire.Number = 2
)

// marshalEntry serializes r once as an entry of DiscoveryResponse.resources: the field's tag and
// length, then the Any (type URL, value). It returns the entry and the value within it, which
// is exactly cache.MarshalResource's (deterministic) serialization of r.
func marshalEntry(typeURL string, r types.Resource) (entry, value []byte, err error) {
	n := proto.Size(r)
	anyLen := 0
	if typeURL != "" {
		anyLen += protowire.SizeTag(anyTypeURL) + protowire.SizeBytes(len(typeURL))
	}
	if n > 0 {
		anyLen += protowire.SizeTag(anyValue) + protowire.SizeBytes(n)
	}
	b := make([]byte, 0, protowire.SizeTag(responseResources)+protowire.SizeBytes(anyLen))
	b = protowire.AppendTag(b, responseResources, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(anyLen))
	if typeURL != "" {
		b = protowire.AppendTag(b, anyTypeURL, protowire.BytesType)
		b = protowire.AppendString(b, typeURL)
	}
	if n == 0 {
		// proto3 omits an empty value; the Any is its type URL alone.
		return b, nil, nil
	}
	b = protowire.AppendTag(b, anyValue, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	head := len(b)
	// UseCachedSize: the Size above walked the message and cached its sub-messages' sizes.
	b, err = proto.MarshalOptions{Deterministic: true, UseCachedSize: true}.MarshalAppend(b, r)
	if err != nil {
		return nil, nil, err
	}
	if len(b)-head != n {
		// The resource changed between Size and Marshal: a generator broke the rule that a
		// resource is immutable once handed over.
		return nil, nil, fmt.Errorf("resource changed while serialized: %d bytes, sized %d", len(b)-head, n)
	}
	return b, b[head:len(b):len(b)], nil
}

// response is a state-of-the-world response whose resources are serializations shared by every
// response that carries them (marshaled). The server's codec (ServerOption) sends it as a few
// freshly encoded bytes (version, type URL, nonce) around references to those serializations,
// where gRPC's proto codec would copy all of them into one buffer per stream (~512 KB per proxy
// for a route of 1,000 virtual hosts, held until the transport wrote it). Any other codec sends
// the embedded DiscoveryResponse, which has the same content.
type response struct {
	*discovery.DiscoveryResponse
	// items are Resources' serializations, in the same order; Resources[i] is items[i].any.
	items []*marshaled
}

func newResponse(version, typeURL, nonce string, items []*marshaled, anys []*anypb.Any) *response {
	return &response{
		DiscoveryResponse: &discovery.DiscoveryResponse{VersionInfo: version, Resources: anys, TypeUrl: typeURL, Nonce: nonce},
		items:             items,
	}
}

// size is the response's size on the wire (proto.Size of the DiscoveryResponse).
func (r *response) size() int {
	n := stringFieldSize(responseVersionInfo, r.VersionInfo) + stringFieldSize(responseTypeURL, r.TypeUrl) +
		stringFieldSize(responseNonce, r.Nonce)
	for _, m := range r.items {
		n += m.wire.Len()
	}
	return n
}

// encodable reports whether the response holds only what encode writes: the four fields, and
// resources that are its items' own Anys. Anything else (a field set elsewhere, a resource
// swapped) goes through the proto codec.
func (r *response) encodable() bool {
	d := r.DiscoveryResponse
	if d == nil || len(d.Resources) != len(r.items) || d.Canary || d.ControlPlane != nil ||
		len(d.ResourceErrors) > 0 || len(d.ProtoReflect().GetUnknown()) > 0 {
		return false
	}
	for i, a := range d.Resources {
		if a != r.items[i].any {
			return false
		}
	}
	return true
}

// encode returns the response's wire form: the fields before and after the resources, encoded
// into one small buffer of the call's own, and each resource's shared entry referenced, not
// copied. Those are mem.SliceBuffers: gRPC frees them after writing (a no-op) and neither writes
// into nor recycles them, as mem.Buffer's ReadOnlyData requires of every user.
func (r *response) encode() mem.BufferSlice {
	headLen := stringFieldSize(responseVersionInfo, r.VersionInfo)
	b := make([]byte, 0, headLen+stringFieldSize(responseTypeURL, r.TypeUrl)+stringFieldSize(responseNonce, r.Nonce))
	b = appendStringField(b, responseVersionInfo, r.VersionInfo)
	b = appendStringField(b, responseTypeURL, r.TypeUrl)
	b = appendStringField(b, responseNonce, r.Nonce)
	out := make(mem.BufferSlice, 0, len(r.items)+2)
	if headLen > 0 {
		out = append(out, mem.SliceBuffer(b[:headLen:headLen]))
	}
	for _, m := range r.items {
		out = append(out, m.wire)
	}
	if len(b) > headLen {
		out = append(out, mem.SliceBuffer(b[headLen:]))
	}
	return out
}

// stringFieldSize is a proto3 string field's size: nothing when empty.
func stringFieldSize(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}
