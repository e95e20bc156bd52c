package model

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"weak"
)

// sharedMap is a map that records with equal content share (a Deployment's pods have the same
// labels, a Service's EndpointSlices the same ports). Never modified once made.
type sharedMap[V comparable] struct{ m map[string]V }

// get is the map; nil for a nil sharedMap.
func (s *sharedMap[V]) get() map[string]V {
	if s == nil {
		return nil
	}
	return s.m
}

// interner hands out one sharedMap per content while some record holds it: 10,000 pods of 1,000
// Deployments keep 2,000 label maps, not 10,000. Entries are weak: a content no record holds any
// more is forgotten when the collector frees it. The zero interner is ready; a nil one shares
// nothing.
type interner[V comparable] struct {
	mu sync.Mutex
	m  map[string]weak.Pointer[sharedMap[V]]
}

func (in *interner[V]) intern(m map[string]V) *sharedMap[V] {
	if len(m) == 0 {
		return nil
	}
	if in == nil {
		return &sharedMap[V]{m}
	}
	k := contentKey(m)
	in.mu.Lock()
	defer in.mu.Unlock()
	if s := in.m[k].Value(); s != nil {
		return s
	}
	if in.m == nil {
		in.m = map[string]weak.Pointer[sharedMap[V]]{}
	}
	s := &sharedMap[V]{m}
	wp := weak.Make(s)
	in.m[k] = wp
	runtime.AddCleanup(s, in.forget, entry[V]{k, wp})
	return s
}

type entry[V comparable] struct {
	key string
	wp  weak.Pointer[sharedMap[V]]
}

// forget drops an entry whose map was freed, unless a new map took its key meanwhile.
func (in *interner[V]) forget(e entry[V]) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.m[e.key] == e.wp {
		delete(in.m, e.key)
	}
}

// size is how many contents are held (for tests).
func (in *interner[V]) size() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.m)
}

// contentKey is m's content as one string, keys sorted. Label and port names hold neither "=" nor
// NUL, so two different maps never have the same key.
func contentKey[V comparable](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b []byte
	for _, k := range keys {
		b = fmt.Appendf(b, "%s=%v\x00", k, m[k])
	}
	return string(b)
}
