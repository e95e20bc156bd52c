// Package gogc tunes the garbage collector for a short-lived command-line process. main imports it for
// its side effect only.
//
// A meshctl command runs for a fraction of a second and allocates a few megabytes, most of them during
// package initialization (client-go's scheme, helm's JSON schemas): with Go's default GOGC=100 the
// collector runs two or three times before the command has started, for a quarter of its CPU. Since Go
// initializes packages in import-path order as soon as their imports are ready, this package, which only
// imports os and runtime/debug, runs before those heavy ones.
package gogc

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC meshctl runs with unless the environment sets GOGC: the heap may grow to five
// times what is live before a collection, which for meshctl's commands is tens of megabytes.
const Percent = 400

func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
}
