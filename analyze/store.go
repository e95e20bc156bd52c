package analyze

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Store holds the input's objects, indexed by kind and namespace so that analyzers never scan all objects
// for each object.
type Store struct {
	byKind map[schema.GroupKind][]*Object
	byNS   map[schema.GroupKind]map[string][]*Object
	byKey  map[objectKey]*Object
	// complete records the (kind, namespace) pairs read in full: from files every pair is complete; from a
	// cluster only the namespaces that were listed. Analyzers do not report something missing where
	// they could not look.
	complete map[objectKey]bool
	allRead  bool
	sorted   bool
}

type objectKey struct {
	gk              schema.GroupKind
	namespace, name string
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{byKind: map[schema.GroupKind][]*Object{}, byKey: map[objectKey]*Object{}, complete: map[objectKey]bool{}}
}

// Add puts an object in the store, replacing (and returning) an object with the same kind, namespace and
// name: that is how files overlay the cluster.
func (s *Store) Add(o *Object) (replaced *Object) {
	k := objectKey{o.GroupKind, o.Namespace, o.Name}
	if old := s.byKey[k]; old != nil {
		list := s.byKind[o.GroupKind]
		for i, x := range list {
			if x == old {
				list[i] = o
			}
		}
		replaced = old
	} else {
		s.byKind[o.GroupKind] = append(s.byKind[o.GroupKind], o)
	}
	s.byKey[k] = o
	s.byNS, s.sorted = nil, false
	return replaced
}

func (s *Store) index() {
	if s.sorted {
		return
	}
	s.byNS = map[schema.GroupKind]map[string][]*Object{}
	for gk, list := range s.byKind {
		slices.SortFunc(list, func(a, b *Object) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
		})
		m := map[string][]*Object{}
		for _, o := range list {
			m[o.Namespace] = append(m[o.Namespace], o)
		}
		s.byNS[gk] = m
	}
	s.sorted = true
}

// List returns every object of a kind, sorted by namespace and name.
func (s *Store) List(gk schema.GroupKind) []*Object {
	s.index()
	return s.byKind[gk]
}

// InNamespace returns the objects of a kind in one namespace.
func (s *Store) InNamespace(gk schema.GroupKind, ns string) []*Object {
	s.index()
	return s.byNS[gk][ns]
}

// Get returns one object, or nil.
func (s *Store) Get(gk schema.GroupKind, ns, name string) *Object {
	return s.byKey[objectKey{gk, ns, name}]
}

// Len is the number of objects.
func (s *Store) Len() int { return len(s.byKey) }

// MarkComplete records that every object of a kind in a namespace ("" for all namespaces) is in the store.
func (s *Store) MarkComplete(gk schema.GroupKind, ns string) {
	s.complete[objectKey{gk: gk, namespace: ns}] = true
}

// MarkAllComplete says the store holds everything there is (file-only analysis).
func (s *Store) MarkAllComplete() { s.allRead = true }

// Complete reports whether the store holds every object of a kind in a namespace.
func (s *Store) Complete(gk schema.GroupKind, ns string) bool {
	return s.allRead || s.complete[objectKey{gk: gk}] || s.complete[objectKey{gk: gk, namespace: ns}]
}

// Namespaces returns the namespaces that hold at least one object of the given kinds.
func (s *Store) Namespaces(kinds ...schema.GroupKind) []string {
	s.index()
	seen := map[string]bool{}
	for _, gk := range kinds {
		for ns := range s.byNS[gk] {
			seen[ns] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}

// All returns every object, grouped by kind in no particular kind order.
func (s *Store) All() []*Object {
	out := make([]*Object, 0, len(s.byKey))
	for _, list := range s.byKind {
		out = append(out, list...)
	}
	slices.SortFunc(out, func(a, b *Object) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}
