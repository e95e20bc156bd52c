package ir

import "strings"

// Matches reports whether v satisfies the match.
func (m *StringMatch) Matches(v string) bool {
	if m.Kind == StringRegex {
		return m.Regex.MatchString(v)
	}
	want := m.Value
	if m.IgnoreCase {
		v, want = strings.ToLower(v), strings.ToLower(want)
	}
	switch m.Kind {
	case StringExact:
		return v == want
	case StringPrefix:
		return strings.HasPrefix(v, want)
	case StringSuffix:
		return strings.HasSuffix(v, want)
	case StringContains:
		return strings.Contains(v, want)
	}
	return false
}
