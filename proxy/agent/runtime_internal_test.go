package agent

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestTuneRuntime(t *testing.T) {
	rate, pct := runtime.MemProfileRate, debug.SetGCPercent(100)
	t.Cleanup(func() { runtime.MemProfileRate = rate; debug.SetGCPercent(pct) })
	for _, tc := range []struct {
		name           string
		env            map[string]string
		wantPct        int
		wantMemProfile bool // left at the runtime's rate
	}{
		{"defaults", nil, gcPercent, false},
		{"GOGC set", map[string]string{"GOGC": "200"}, 100, false},
		{"memprofilerate set", map[string]string{"GODEBUG": "madvdontneed=1, memprofilerate=4096"}, gcPercent, true},
		{"other GODEBUG", map[string]string{"GODEBUG": "memprofilerate2=1,gctrace=1"}, gcPercent, false},
		{"key without a value", map[string]string{"GODEBUG": "memprofilerate"}, gcPercent, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.MemProfileRate = 4096
			debug.SetGCPercent(100)
			tuneRuntime(func(k string) string { return tc.env[k] })
			if got := debug.SetGCPercent(100); got != tc.wantPct {
				t.Errorf("GC percent %d, want %d", got, tc.wantPct)
			}
			if got := runtime.MemProfileRate != 0; got != tc.wantMemProfile {
				t.Errorf("MemProfileRate %d, want it kept: %v", runtime.MemProfileRate, tc.wantMemProfile)
			}
		})
	}
}
