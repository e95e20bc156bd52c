package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is meshd's GOGC when the environment sets none. Go's default, 100, lets the
// heap grow to twice what is live before a collection, and a push's garbage fills that headroom;
// RSS is about twice the live heap at 50 still. At 30 the peak at 100 proxies was 128–129 MiB
// against 147–152 MiB at 50 (docs/meshd.md, "GOGC 30").
const defaultGCPercent = 30

// setGCPercent applies defaultGCPercent unless GOGC is set (the runtime read that one already).
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
