package xdsserver

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// entry is one resource of a typeSet, with its shared serialization.
type entry struct {
	res types.Resource
	m   *marshaled
}

// typeSet is one type's resources in a proxy's snapshot. It is immutable once built and shared
// between successive snapshots while its type does not change, and between proxies given the same
// content. Its version is a hash of its content: a push that leaves a type as it was sends nothing
// for it.
type typeSet struct {
	version string
	names   []string // sorted: responses list resources in a stable order
	entries map[string]entry

	// The maps go-control-plane's delta cache reads, built on first use: state-of-the-world
	// proxies never pay for them.
	plainOnce sync.Once
	plain     map[string]types.Resource
	ttlOnce   sync.Once
	withTTL   map[string]types.ResourceWithTTL
	hashOnce  sync.Once
	hashes    map[string]string
	allOnce   sync.Once
	all       []*marshaled // every resource, in name order
	anys      []*anypb.Any // all's Anys

	// The last changedSince answer: every proxy moving from one set to this one asks the same.
	// The set it answered for is known by its version (its content), not held: a pointer would
	// chain every set to its predecessor and keep all of them alive.
	diffMu                   sync.Mutex
	diffFrom                 string
	diffChanged, diffRemoved []string
}

// changedSince returns the names whose resource differs from old's or is new, and old's names
// that are gone.
func (ts *typeSet) changedSince(old *typeSet) (changed, removed []string) {
	ts.diffMu.Lock()
	defer ts.diffMu.Unlock()
	if ts.diffFrom != "" && ts.diffFrom == old.version {
		return ts.diffChanged, ts.diffRemoved
	}
	for _, n := range ts.names {
		if e, ok := old.entries[n]; !ok || e.m.hash != ts.entries[n].m.hash {
			changed = append(changed, n)
		}
	}
	for _, n := range old.names {
		if _, ok := ts.entries[n]; !ok {
			removed = append(removed, n)
		}
	}
	ts.diffFrom, ts.diffChanged, ts.diffRemoved = old.version, changed, removed
	return changed, removed
}

// allItems and allAnys are shared by every response that carries the whole set: read-only.
func (ts *typeSet) allItems() []*marshaled {
	ts.allOnce.Do(func() {
		ts.all = make([]*marshaled, 0, len(ts.names))
		ts.anys = make([]*anypb.Any, 0, len(ts.names))
		for _, n := range ts.names {
			ts.all = append(ts.all, ts.entries[n].m)
			ts.anys = append(ts.anys, ts.entries[n].m.any)
		}
	})
	return ts.all
}

func (ts *typeSet) allAnys() []*anypb.Any {
	ts.allItems()
	return ts.anys
}

// anysOf returns items' Anys: the shared list when items is the set's whole list (allItems).
func (ts *typeSet) anysOf(items []*marshaled) []*anypb.Any {
	if all := ts.allItems(); len(items) > 0 && len(items) == len(all) && &items[0] == &all[0] {
		return ts.allAnys()
	}
	anys := make([]*anypb.Any, len(items))
	for i, m := range items {
		anys[i] = m.any
	}
	return anys
}

// newTypeSet serializes items (through mc, once for all proxies) and versions them by content:
// the hash of every name and resource hash, in name order.
func newTypeSet(typeURL string, items []types.Resource, mc *marshalCache) (*typeSet, error) {
	ts := &typeSet{entries: make(map[string]entry, len(items)), names: make([]string, 0, len(items))}
	for _, r := range items {
		m, err := mc.get(typeURL, r)
		if err != nil {
			return nil, err
		}
		name := cache.GetResourceName(r)
		if _, dup := ts.entries[name]; !dup {
			ts.names = append(ts.names, name)
		}
		ts.entries[name] = entry{res: r, m: m}
	}
	slices.SortFunc(ts.names, cmp.Compare)
	h := sha256.New()
	for _, n := range ts.names {
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write(ts.entries[n].m.sum[:])
	}
	ts.version = hex.EncodeToString(h.Sum(nil)[:8])
	return ts, nil
}

func (ts *typeSet) resources() map[string]types.Resource {
	ts.plainOnce.Do(func() {
		ts.plain = make(map[string]types.Resource, len(ts.entries))
		for n, e := range ts.entries {
			ts.plain[n] = e.res
		}
	})
	return ts.plain
}

func (ts *typeSet) resourcesWithTTL() map[string]types.ResourceWithTTL {
	ts.ttlOnce.Do(func() {
		ts.withTTL = make(map[string]types.ResourceWithTTL, len(ts.entries))
		for n, e := range ts.entries {
			ts.withTTL[n] = types.ResourceWithTTL{Resource: e.res}
		}
	})
	return ts.withTTL
}

func (ts *typeSet) versionMap() map[string]string {
	ts.hashOnce.Do(func() {
		ts.hashes = make(map[string]string, len(ts.entries))
		for n, e := range ts.entries {
			ts.hashes[n] = e.m.version()
		}
	})
	return ts.hashes
}

// snapshot is one proxy's configuration.
type snapshot struct {
	sets [types.UnknownType]*typeSet
}

var _ cache.ResourceSnapshot = (*snapshot)(nil)

var emptySet = &typeSet{entries: map[string]entry{}}

func (s *snapshot) set(typeURL string) *typeSet {
	i := cache.GetResponseType(typeURL)
	if s == nil || i == types.UnknownType || s.sets[i] == nil {
		return emptySet
	}
	return s.sets[i]
}

func (s *snapshot) GetVersion(typeURL string) string { return s.set(typeURL).version }

func (s *snapshot) GetResourcesAndTTL(typeURL string) map[string]types.ResourceWithTTL {
	return s.set(typeURL).resourcesWithTTL()
}

func (s *snapshot) GetResources(typeURL string) map[string]types.Resource {
	return s.set(typeURL).resources()
}

func (s *snapshot) ConstructVersionMap() error { return nil }

func (s *snapshot) GetVersionMap(typeURL string) map[string]string {
	return s.set(typeURL).versionMap()
}

// next builds the snapshot that follows s: the types in update get res's resources; the others,
// and those whose content did not change, keep s's typeSet, so nothing is sent for them.
func (s *snapshot) next(res map[string][]types.Resource, update func(types.ResponseType) bool, build func(typeURL string, items []types.Resource) (*typeSet, error)) (*snapshot, error) {
	out := &snapshot{}
	if s != nil {
		out.sets = s.sets
	}
	for i := types.ResponseType(0); i < types.UnknownType; i++ {
		if !update(i) {
			continue
		}
		url, _ := cache.GetResponseTypeURL(i)
		items := res[url]
		if len(items) == 0 && out.sets[i] == nil && i > types.Route {
			// A type beyond the four Istio always answers, never had any, still has none: no
			// version, no push. CDS, EDS, LDS and RDS are always answered, empty or not, as
			// Envoy waits for them (initial_fetch_timeout).
			continue
		}
		ts, err := build(url, items)
		if err != nil {
			return nil, err
		}
		if old := out.sets[i]; old != nil && old.version == ts.version {
			continue
		}
		out.sets[i] = ts
	}
	return out, nil
}
