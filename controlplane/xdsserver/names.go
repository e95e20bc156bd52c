package xdsserver

import "slices"

// explicitWildcard in a request's names subscribes to every resource of the type.
const explicitWildcard = "*"

// normalizeNames returns a request's resource names sorted and unique, without the explicit
// wildcard, and whether it was there. Names that are sorted and unique already (as proxies send
// them) are returned as they are, without a copy.
func normalizeNames(req []string) (names []string, wildcard bool) {
	clean := true
	for i, n := range req {
		if n == explicitWildcard || (i > 0 && req[i-1] >= n) {
			clean = false
			break
		}
	}
	if clean {
		return req, false
	}
	names = make([]string, 0, len(req))
	for _, n := range req {
		if n == explicitWildcard {
			wildcard = true
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return slices.Clip(slices.Compact(names)), wildcard
}

// equalNames compares two sorted name lists.
func equalNames(a, b []string) bool {
	return sameSlice(a, b) || slices.Equal(a, b)
}

// sameSlice: a and b are the same list (one array, one length), not just equal.
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func containsName(sorted []string, n string) bool {
	_, ok := slices.BinarySearch(sorted, n)
	return ok
}

// intersectNames returns the names of sorted a that are also in sorted b, reusing b or a
// when one holds all of the other's.
func intersectNames(a, b []string) []string {
	if sameSlice(a, b) || len(a) == 0 {
		return a
	}
	var out []string
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	switch len(out) {
	case len(b):
		// b when both are equal: the newer list, which the subscription holds.
		return b
	case len(a):
		return a
	}
	return slices.Clip(out)
}
