package route

import "strings"

// normalizePath removes "." and ".." segments (RFC 3986 5.2.4), as Istio's default normalization
// does before matching, so "/public/../admin" cannot slip past a "/public" route. The common path
// without dot segments is returned as is, without allocating.
func normalizePath(p string) string {
	if !strings.Contains(p, "/.") || p == "" {
		return p
	}
	segments := strings.Split(p, "/")
	out := make([]string, 0, len(segments))
	for i, s := range segments {
		last := i == len(segments)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	n := strings.Join(out, "/")
	if !strings.HasPrefix(n, "/") {
		n = "/" + n
	}
	return n
}
