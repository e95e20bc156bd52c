package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is meshd's GOGC when the environment sets none. Go's default, 100, lets the
// heap grow to twice what is live before a collection, and a push's garbage fills that headroom;
// RSS is still 2–3 times the live heap at 50. At 30 the peak at 100 / 1,000 proxies was 121–129 /
// 190–195 MiB against 140–152 / 218–221 at 50, for about 20% more CPU (docs/meshd.md, "GOGC 30").
const defaultGCPercent = 30

// setGCPercent applies defaultGCPercent unless GOGC is set (the runtime read that one already).
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
