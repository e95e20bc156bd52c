package model

import (
	"slices"
)

// SetJWKS records the key set fetched for a RequestAuthentication's jwksUri (meshd fetches them and
// sends them inline, as istiod does); a change is pushed like a RequestAuthentication's.
func (s *Store) SetJWKS(uri, keys string) {
	s.mu.Lock()
	if s.w.jwks[uri] == keys {
		s.mu.Unlock()
		return
	}
	s.w.jwks[uri] = keys
	s.version++
	s.snap = nil
	s.configChanged = true
	s.mu.Unlock()
	if s.synced.Load() {
		s.notify(Change{Kinds: []string{KindRequestAuthentication}})
	}
}

// JWKSURIs are the jwksUris the snapshot's RequestAuthentications name, sorted, without repeats.
func (s *Snapshot) JWKSURIs() []string {
	var out []string
	for _, ra := range s.RequestAuthentications {
		for _, r := range ra.Spec.GetJwtRules() {
			if r.GetJwks() == "" && r.GetJwksUri() != "" {
				out = append(out, r.GetJwksUri())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
