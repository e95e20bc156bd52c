package xdsserver

import (
	"strconv"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// typeSet is one type's resources in a proxy's snapshot. It is immutable once built and shared
// between successive snapshots while its type does not change (an EDS-only push keeps the
// clusters, listeners and routes of the previous snapshot, hashes included).
type typeSet struct {
	version string
	withTTL map[string]types.ResourceWithTTL
	plain   map[string]types.Resource

	// Hashes for delta clients, computed on first use: state-of-the-world proxies never pay them.
	hashOnce sync.Once
	hashes   map[string]string
}

func newTypeSet(version string, items []types.Resource) *typeSet {
	ts := &typeSet{
		version: version,
		withTTL: make(map[string]types.ResourceWithTTL, len(items)),
		plain:   make(map[string]types.Resource, len(items)),
	}
	for _, r := range items {
		name := cache.GetResourceName(r)
		ts.withTTL[name] = types.ResourceWithTTL{Resource: r}
		ts.plain[name] = r
	}
	return ts
}

func (ts *typeSet) versionMap() map[string]string {
	ts.hashOnce.Do(func() {
		ts.hashes = make(map[string]string, len(ts.plain))
		for name, r := range ts.plain {
			b, err := cache.MarshalResource(r)
			if err != nil {
				// A resource that does not marshal cannot be sent either; an empty hash makes the
				// delta server resend it, and the send reports the error.
				ts.hashes[name] = ""
				continue
			}
			ts.hashes[name] = cache.HashResource(b)
		}
	})
	return ts.hashes
}

// snapshot is one proxy's configuration: go-control-plane's cache serves it to the proxy's streams.
type snapshot struct {
	sets [types.UnknownType]*typeSet
}

var _ cache.ResourceSnapshot = (*snapshot)(nil)

var emptySet = newTypeSet("", nil)

func (s *snapshot) set(typeURL string) *typeSet {
	i := cache.GetResponseType(typeURL)
	if s == nil || i == types.UnknownType || s.sets[i] == nil {
		return emptySet
	}
	return s.sets[i]
}

func (s *snapshot) GetVersion(typeURL string) string { return s.set(typeURL).version }

func (s *snapshot) GetResourcesAndTTL(typeURL string) map[string]types.ResourceWithTTL {
	return s.set(typeURL).withTTL
}

func (s *snapshot) GetResources(typeURL string) map[string]types.Resource {
	return s.set(typeURL).plain
}

func (s *snapshot) ConstructVersionMap() error { return nil }

func (s *snapshot) GetVersionMap(typeURL string) map[string]string {
	return s.set(typeURL).versionMap()
}

// next builds the snapshot that follows s: the types in update get res's resources under a new
// version; the others are shared with s unchanged, so the cache sends nothing for them.
func (s *snapshot) next(res map[string][]types.Resource, update func(types.ResponseType) bool, version func(types.ResponseType) string) *snapshot {
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
		out.sets[i] = newTypeSet(version(i), items)
	}
	return out
}

func formatVersion(epoch string, n uint64) string {
	return epoch + "-" + strconv.FormatUint(n, 10)
}
