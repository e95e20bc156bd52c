package xdsserver

// sotwSub is one type's subscription on a stream and what the stream was sent of it.
type sotwSub struct {
	requested bool // a request for the type arrived
	open      bool // the latest response was answered (or none was sent): the next may go
	legacy    bool // no name asked yet: an empty request is still a wildcard (the protocol's legacy wildcard)
	wildcard  bool
	// names are the subscribed names, sorted and unique; the snapshot's own slice when equal, so
	// that a proxy subscribed to every resource of its snapshot keeps nothing per name.
	names   []string
	nonce   string // of the latest response
	version string // of the latest response: the type's version the stream has
	// has is the set the latest response came from, hasNames the names subscribed then: the
	// stream holds has's resource for every name in both (wildcard types: unused).
	has      *typeSet
	hasNames []string
}

// subscribe sets the subscription from a request's names. shared is the snapshot's sorted
// names of the type: a subscription equal to it holds that slice instead of its own.
func (sub *sotwSub) subscribe(req []string, shared []string) {
	if sub.legacy && len(req) == 0 {
		sub.wildcard = true
		return
	}
	sub.legacy = false
	names, wildcard := normalizeNames(req)
	sub.wildcard = wildcard
	switch {
	case equalNames(names, shared):
		// The snapshot's current list rather than an older equal one, which it lets go.
		names = shared
	case equalNames(names, sub.names):
		names = sub.names
	case sameSlice(names, req):
		// Sorted and unique already: a copy, not the request's array.
		names = append([]string(nil), names...)
	}
	sub.names = names
	// The stream no longer holds what is no longer subscribed (the proxy drops it): were it asked
	// for again, it must be sent again.
	sub.hasNames = intersectNames(sub.hasNames, names)
}

// lacking returns the resources of set the stream is subscribed to and does not have (set's
// own shared list when that is all of them).
func (sub *sotwSub) lacking(set *typeSet) []*marshaled {
	all := sameSlice(sub.names, set.names)
	var out []*marshaled
	if sub.has != nil && sameSlice(sub.hasNames, sub.names) {
		if sub.has == set {
			// An ACK, the subscription as it was.
			return nil
		}
		// The usual push: the stream has the previous set for every name it asks, and the
		// difference between the two sets is computed once for all proxies making the move.
		changed, _ := set.changedSince(sub.has)
		if all && len(changed) == len(set.names) {
			return set.allItems()
		}
		for _, n := range changed {
			if all || containsName(sub.names, n) {
				out = append(out, set.entries[n].m)
			}
		}
		return out
	}
	held := func(n string, hash string) bool {
		if sub.has == nil || !containsName(sub.hasNames, n) {
			return false
		}
		e, ok := sub.has.entries[n]
		return ok && e.m.hash == hash
	}
	for _, n := range sub.names {
		e, ok := set.entries[n]
		if ok && !held(n, e.m.hash) {
			out = append(out, e.m)
		}
	}
	if len(out) == len(set.names) {
		// Every resource of the set, as a first response usually is: the list is shared.
		return set.allItems()
	}
	return out
}
