package translate

import (
	"crypto/sha256"
	"fmt"
	"sync"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/proto"

	"github.com/meshctl/meshctl/controlplane/model"
)

// interner hands out one object per distinct content, for the configuration generation of a
// snapshot (its ConfigMemo): scopes that see the same Service build equal clusters and virtual
// hosts, and without it each scope (each namespace's sidecars, without a Sidecar resource) keeps its
// own copy of all of them — at 1,000 Services in 10 namespaces, ten copies of the mesh. Equal
// objects shared also make the xDS server serialize them once (it keys its cache by identity).
type interner struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]proto.Message
}

func internerOf(s *model.Snapshot) *interner {
	return s.ConfigMemo("interner", func() any { return &interner{m: map[[sha256.Size]byte]proto.Message{}} }).(*interner)
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// intern returns the object first interned with m's content (m itself when it is the first).
// Objects handed out are shared: nothing may modify them afterwards.
func intern[M proto.Message](in *interner, m M) M {
	b, err := deterministic.Marshal(m)
	if err != nil {
		// Not serializable: the xDS server reports it; nothing to share.
		return m
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", m.ProtoReflect().Descriptor().FullName())
	h.Write(b)
	var k [sha256.Size]byte
	h.Sum(k[:0])
	in.mu.Lock()
	defer in.mu.Unlock()
	if old, ok := in.m[k].(M); ok {
		return old
	}
	in.m[k] = m
	return m
}

// internAll makes a scope's freshly generated resources share every cluster, listener and virtual
// host equal to one another scope generated before. It replaces elements of r's slices and
// of its RouteConfigurations' virtual hosts, so it runs on r before anything else holds it.
func internAll(s *model.Snapshot, r *resources) *resources {
	in := internerOf(s)
	for _, l := range [][]types.Resource{r.clusters, r.listeners} {
		for i, res := range l {
			if m, ok := res.(proto.Message); ok {
				l[i] = intern(in, m)
			}
		}
	}
	// A RouteConfiguration is its virtual hosts: sharing those is the saving, and serializing each
	// whole route again to compare it would double the work of a push.
	for _, res := range r.routes {
		if rc, ok := res.(*routev3.RouteConfiguration); ok {
			for j, vh := range rc.GetVirtualHosts() {
				rc.VirtualHosts[j] = intern(in, vh)
			}
		}
	}
	return r
}
