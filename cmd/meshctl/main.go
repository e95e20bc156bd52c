// Command meshctl installs and operates the mesh. It only sets how the process collects garbage and wires
// the process to package root.
package main

import (
	"context"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	// gcinit holds the collector from before the heavy packages initialize until tuneGC decides.
	"github.com/meshctl/meshctl/cmd/meshctl/internal/gcinit"
	"github.com/meshctl/meshctl/cmd/meshctl/internal/root"
)

func main() {
	tuneGC(os.Getenv)
	// client-go also logs some of the errors it returns (a refused port-forward connection); meshctl
	// reports every error itself, once, so its log lines would only be noise on stderr.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Run(ctx, os.Args[1:], genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}

// gcPercent is the GOGC meshctl collects with once its heap has passed gcinit.MemoryLimit: the heap may
// grow to five times what is live before a collection, which for meshctl's commands is tens of megabytes.
const gcPercent = 400

// tuneGC sets how meshctl collects garbage, unless the environment sets GOGC or GOMEMLIMIT.
//
// A meshctl command usually runs for a fraction of a second and allocates a few megabytes that stay live
// until it exits (`manifest generate` renders 40 objects): a collection there costs CPU and frees nothing
// that matters, so the collector stays off, as gcinit left it during package initialization, until the
// heap reaches gcinit.MemoryLimit. Commands that stream or analyze large inputs reach it; from their
// first collection on they collect with GOGC=400, and their memory stays proportional to what is live.
// The switch happens in a cleanup that runs after the first collection, whatever triggered it.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(gcinit.MemoryLimit)
	// A cleanup runs once its object is found unreachable, which this one is from the first collection on.
	// The object holds a pointer: the tiny allocator batches small pointer-free objects, whose cleanups
	// may never run.
	runtime.AddCleanup(&struct{ _ *byte }{}, func(struct{}) {
		debug.SetGCPercent(gcPercent)
		debug.SetMemoryLimit(math.MaxInt64)
	}, struct{}{})
}
