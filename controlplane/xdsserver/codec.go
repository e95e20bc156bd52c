package xdsserver

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// ServerOption is the gRPC server option under which state-of-the-world responses go out
// without copying their shared resource serializations (response.encode). Every other message
// (requests, delta responses, other services on the same server) goes through gRPC's proto
// codec as without it. Without the option responses are sent all the same, copied.
func ServerOption() grpc.ServerOption {
	return grpc.ForceServerCodecV2(codec{proto: encoding.GetCodecV2(grpcproto.Name)})
}

// codec is gRPC's proto codec, but for the responses of meshd's own state-of-the-world loop.
type codec struct{ proto encoding.CodecV2 }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(*response); ok && r.encodable() {
		return r.encode(), nil
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

// Name is the proto codec's: the content type on the wire is unchanged.
func (c codec) Name() string { return c.proto.Name() }
