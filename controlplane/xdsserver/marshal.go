package xdsserver

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// marshaled is one resource serialized once, shared by every proxy's response that carries it.
type marshaled struct {
	any      *anypb.Any
	hashOnce sync.Once
	hash     string // for delta clients, computed on first use
}

func (m *marshaled) version() string {
	m.hashOnce.Do(func() { m.hash = cache.HashResource(m.any.GetValue()) })
	return m.hash
}

// marshalCache serializes a resource once however many proxies receive it: a translator that
// shares resource objects between proxies (the same Service seen from one namespace) gets one
// marshal per push instead of one per proxy — the cost that dominates a fan-out. Resources are
// keyed by identity, so a resource must not change once a generator returned it (go-control-plane
// requires the same). Entries unused for a whole push round are dropped.
//
// It also shares whole typeSets: when the generator hands several proxies the very same slice of
// resources (a translator caching per scope), they share one typeSet, one version, one map.
type marshalCache struct {
	mu        sync.Mutex
	cur, prev map[types.Resource]*marshaled
	sets      map[setKey]*typeSet // this round's and the last round's, by slice identity
	prevSets  map[setKey]*typeSet
	epoch     string
	seq       uint64
}

// setKey identifies a generator's slice: its type, backing array and length.
type setKey struct {
	typeURL string
	data    *types.Resource
	n       int
}

func newMarshalCache(epoch string) *marshalCache {
	return &marshalCache{cur: map[types.Resource]*marshaled{}, prev: map[types.Resource]*marshaled{}, sets: map[setKey]*typeSet{}, prevSets: map[setKey]*typeSet{}, epoch: epoch}
}

// typeSet returns the typeSet for a generator's slice, shared with any proxy given the same slice
// this round, under a version unique to the server's life.
func (c *marshalCache) typeSet(typeURL string, items []types.Resource) (*typeSet, error) {
	key := setKey{typeURL: typeURL, data: unsafe.SliceData(items), n: len(items)}
	c.mu.Lock()
	ts := c.sets[key]
	if ts == nil {
		if ts = c.prevSets[key]; ts != nil {
			c.sets[key] = ts
		}
	}
	c.mu.Unlock()
	if ts != nil {
		// The same slice as before: same version, so a proxy that has it is sent nothing.
		return ts, nil
	}
	c.mu.Lock()
	c.seq++
	version := formatVersion(c.epoch, c.seq)
	c.mu.Unlock()
	ts, err := newTypeSet(version, typeURL, items, c)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if old := c.sets[key]; old != nil {
		ts = old
	} else {
		c.sets[key] = ts
	}
	c.mu.Unlock()
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
	b, err := cache.MarshalResource(r)
	if err != nil {
		return nil, fmt.Errorf("marshal %s %s: %w", shortTypeURL(typeURL), cache.GetResourceName(r), err)
	}
	m = &marshaled{any: &anypb.Any{TypeUrl: typeURL, Value: b}}
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
	c.prevSets, c.sets = c.sets, map[setKey]*typeSet{}
	c.mu.Unlock()
}
