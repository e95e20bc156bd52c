//go:build unix

package crdgen

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU reports the process's CPU time (user+system, GC included) per benchmark iteration,
// which stays meaningful on a loaded machine where ns/op (wall time) does not.
func reportCPU(b *testing.B) func() {
	start := cpuTime(b)
	return func() {
		b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
