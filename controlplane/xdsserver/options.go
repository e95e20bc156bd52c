package xdsserver

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/meshctl/meshctl/controlplane/metrics"
)

// Istio's defaults (PILOT_DEBOUNCE_AFTER, PILOT_DEBOUNCE_MAX).
const (
	DefaultDebounceAfter = 100 * time.Millisecond
	DefaultDebounceMax   = 10 * time.Second
)

// Options configure a Server. The zero value of every field but Generator has a default.
type Options struct {
	Generator Generator
	// DebounceAfter is the quiet time after the last change before a push starts.
	DebounceAfter time.Duration
	// DebounceMax bounds how long changes keep arriving before a push starts anyway.
	DebounceMax time.Duration
	// Workers generate proxies' configurations in parallel; GOMAXPROCS when zero.
	Workers int
	// Metrics receives the pilot_* series; nil records nothing.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

func (o *Options) complete() error {
	if o.Generator == nil {
		return fmt.Errorf("xds server: no generator")
	}
	if o.DebounceAfter < 0 || o.DebounceMax < 0 || o.Workers < 0 {
		return fmt.Errorf("xds server: negative debounce or worker count")
	}
	if o.DebounceAfter == 0 {
		o.DebounceAfter = DefaultDebounceAfter
	}
	if o.DebounceMax == 0 {
		o.DebounceMax = DefaultDebounceMax
	}
	if o.DebounceMax < o.DebounceAfter {
		return fmt.Errorf("xds server: debounce max %s is shorter than debounce after %s", o.DebounceMax, o.DebounceAfter)
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
