package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is meshd's GOGC when the environment sets none. Go's default, 100, lets the
// heap grow to twice what is live before a collection; a push's garbage (each proxy's generated
// configuration, read once) is then most of the resident size. At 50 the peak at 1,000 proxies
// was 219–222 MiB against 253–280 MiB, for a few tenths of a CPU second more per run
// (docs/meshd.md, "Responses without copies, GOGC 50").
const defaultGCPercent = 50

// setGCPercent applies defaultGCPercent unless GOGC is set (the runtime read that one already).
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
