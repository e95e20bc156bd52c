package xdsserver

import (
	"fmt"
	"sync"

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
type marshalCache struct {
	mu        sync.Mutex
	cur, prev map[types.Resource]*marshaled
}

func newMarshalCache() *marshalCache {
	return &marshalCache{cur: map[types.Resource]*marshaled{}, prev: map[types.Resource]*marshaled{}}
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
	c.mu.Unlock()
}
