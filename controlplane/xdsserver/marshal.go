package xdsserver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"unsafe"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/types/known/anypb"
)

// marshaled is one resource serialized once, shared by every proxy's response that carries it,
// with its content's hash, computed once with the serialization: it is the resource's version
// (delta clients, the per-resource state of state-of-the-world streams) and goes into its type's
// version.
//
// The serialization is kept as a whole entry of DiscoveryResponse.resources (wire), the Any's
// value within it: a state-of-the-world response refers to the entries instead of encoding the
// resources again (response.encode).
type marshaled struct {
	any  *anypb.Any // Value is within wire
	wire mem.Buffer // the entry, as the responses' buffers refer to it (one interface value for all)
	sum  [sha256.Size]byte
	hash string // hex of the sum's first 8 bytes
}

func newMarshaled(typeURL string, r types.Resource) (*marshaled, error) {
	entry, value, err := marshalEntry(typeURL, r)
	if err != nil {
		return nil, err
	}
	m := &marshaled{any: &anypb.Any{TypeUrl: typeURL, Value: value}, wire: mem.SliceBuffer(entry),
		sum: sha256.Sum256(value)}
	m.hash = hex.EncodeToString(m.sum[:8])
	return m, nil
}

func (m *marshaled) version() string { return m.hash }

// marshalCache serializes a resource once however many proxies receive it: a translator that
// shares resource objects between proxies (the same Service seen from one namespace) gets one
// marshal per push instead of one per proxy — the cost that dominates a fan-out. Resources are
// keyed by identity, so a resource must not change once a generator returned it (go-control-plane
// requires the same). Entries unused for a whole push round are dropped.
//
// It also shares whole typeSets: when the generator hands several proxies the very same slice of
// resources (a translator caching per scope), they share one typeSet, one version, one map; and
// slices of equal content share the typeSet built first, so that proxies given equal
// configurations hold it once.
type marshalCache struct {
	mu            sync.Mutex
	cur, prev     map[types.Resource]*marshaled
	sets          map[setKey]setRef // this round's and the last round's, by slice identity
	prevSets      map[setKey]setRef
	byContent     map[contentKey]*typeSet // this round's and the last round's, by version
	prevByContent map[contentKey]*typeSet
}

type contentKey struct{ typeURL, version string }

// setKey identifies a generator's slice: its type, backing array and length.
type setKey struct {
	typeURL string
	data    *types.Resource
	n       int
}

// setRef holds the slice it is keyed by: its backing array, whose address is the key, cannot be
// freed and reused for other content while the entry lives.
type setRef struct {
	ts    *typeSet
	items []types.Resource
}

func newMarshalCache() *marshalCache {
	return &marshalCache{cur: map[types.Resource]*marshaled{}, prev: map[types.Resource]*marshaled{},
		sets: map[setKey]setRef{}, prevSets: map[setKey]setRef{},
		byContent: map[contentKey]*typeSet{}, prevByContent: map[contentKey]*typeSet{}}
}

// typeSet returns the typeSet for a generator's slice, versioned by its content: shared with any
// proxy given the same slice, or a slice of the same content, this round or the last.
func (c *marshalCache) typeSet(typeURL string, items []types.Resource) (*typeSet, error) {
	key := setKey{typeURL: typeURL, data: unsafe.SliceData(items), n: len(items)}
	c.mu.Lock()
	ref, ok := c.sets[key]
	if !ok {
		if ref, ok = c.prevSets[key]; ok {
			c.sets[key] = ref
			ck := contentKey{typeURL, ref.ts.version}
			if c.byContent[ck] == nil {
				c.byContent[ck] = ref.ts
			}
		}
	}
	c.mu.Unlock()
	if ok {
		return ref.ts, nil
	}
	ts, err := newTypeSet(typeURL, items, c)
	if err != nil {
		return nil, err
	}
	ck := contentKey{typeURL, ts.version}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.byContent[ck]; old != nil {
		ts = old
	} else if old := c.prevByContent[ck]; old != nil {
		ts = old
		c.byContent[ck] = ts
	} else {
		c.byContent[ck] = ts
	}
	c.sets[key] = setRef{ts: ts, items: items}
	return ts, nil
}

func (c *marshalCache) get(typeURL string, r types.Resource) (*marshaled, error) {
	c.mu.Lock()
	m := c.cur[r]
	if m == nil {
		if m = c.prev[r]; m != nil {
			c.cur[r] = m
		}
	}
	c.mu.Unlock()
	if m != nil {
		return m, nil
	}
	m, err := newMarshaled(typeURL, r)
	if err != nil {
		return nil, fmt.Errorf("marshal %s %s: %w", shortTypeURL(typeURL), cache.GetResourceName(r), err)
	}
	c.mu.Lock()
	if old := c.cur[r]; old != nil {
		m = old
	} else {
		c.cur[r] = m
	}
	c.mu.Unlock()
	return m, nil
}

// rotate starts a push round: what the last round did not use is forgotten.
func (c *marshalCache) rotate() {
	c.mu.Lock()
	c.prev, c.cur = c.cur, make(map[types.Resource]*marshaled, len(c.cur))
	c.prevSets, c.sets = c.sets, map[setKey]setRef{}
	c.prevByContent, c.byContent = c.byContent, map[contentKey]*typeSet{}
	c.mu.Unlock()
}
