package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// meshd collects at its own GOGC (defaultGCPercent) unless the environment says otherwise.
func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		env  string // "" for unset
		want int
	}{
		{"", defaultGCPercent},
		{"200", 100}, // the runtime applies GOGC itself; here the test's own setting, 100, stays
		{"off", 100},
	} {
		t.Run("GOGC="+tc.env, func(t *testing.T) {
			old := debug.SetGCPercent(100)
			t.Cleanup(func() { debug.SetGCPercent(old) })
			if tc.env != "" {
				t.Setenv("GOGC", tc.env)
			} else {
				t.Setenv("GOGC", "")
				unsetenv(t, "GOGC")
			}
			setGCPercent()
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Errorf("GC percent %d, want %d", got, tc.want)
			}
		})
	}
}

func unsetenv(t *testing.T, key string) {
	t.Helper()
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
