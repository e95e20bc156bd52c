package crdgen

import (
	"regexp"
	"testing"
	"time"
)

var durationRE = regexp.MustCompile(durationPattern)

func TestDurationPattern(t *testing.T) {
	valid := []string{"0", "-0", "+0", "5s", "1.5s", "10ms", "100us", "3µs", "3μs", "7ns", "5m", "1h30m", "2h45m30.5s", ".5s", "5.s", "-1m"}
	invalid := []string{"", "5", "5x", "s", "1 s", "5S", "1h 30m", "1d", "P1D", "--5s", ".s", "5s ", "1,5s"}
	for _, s := range valid {
		if !durationRE.MatchString(s) {
			t.Errorf("%q: rejected, want accepted", s)
		}
	}
	for _, s := range invalid {
		if durationRE.MatchString(s) {
			t.Errorf("%q: accepted, want rejected", s)
		}
	}
}

// FuzzDurationPattern checks that the CRDs' duration pattern accepts exactly what Istio's JSON
// decoding (time.ParseDuration) accepts, apart from values too large for a time.Duration.
func FuzzDurationPattern(f *testing.F) {
	for _, s := range []string{"5s", "1h30m", "0", ".5ms", "-1.5µs", "5x", "1e3s", "+.s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := time.ParseDuration(s)
		matched := durationRE.MatchString(s)
		if err == nil && !matched {
			t.Errorf("%q: time.ParseDuration accepts it, the pattern does not", s)
		}
		// Fewer than 7 digits cannot overflow (999999h is about 114 years); beyond that, an overflow
		// error is expected where the pattern, which cannot count, still matches.
		if err != nil && matched && digits(s) < 7 {
			t.Errorf("%q: the pattern accepts it, time.ParseDuration does not: %v", s, err)
		}
	})
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}
