package xdsserver

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/meshctl/meshctl/controlplane/metrics"
)

// Istio's defaults (PILOT_DEBOUNCE_AFTER, PILOT_DEBOUNCE_MAX), and the push throttle
// (PILOT_PUSH_THROTTLE, 100 in Istio): at 1,000 proxies on 2 cores, 50 lowered meshd's peak RSS by
// 50-80 MiB (gRPC's encode buffers of a push) with the same convergence (docs/meshd.md).
const (
	DefaultDebounceAfter = 100 * time.Millisecond
	DefaultDebounceMax   = 10 * time.Second
	DefaultPushThrottle  = 50
	// DefaultPushAckTimeout bounds how long a proxy that does not answer a push holds its slot.
	DefaultPushAckTimeout = 5 * time.Second
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
	// PushThrottle is how many proxies a push is sent to at once: a proxy's slot is taken before
	// its configuration is generated and given back when it answered every type sent, or after
	// PushAckTimeout. DefaultPushThrottle when zero.
	PushThrottle   int
	PushAckTimeout time.Duration
	// Metrics receives the pilot_* series; nil records nothing.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

func (o *Options) complete() error {
	if o.Generator == nil {
		return fmt.Errorf("xds server: no generator")
	}
	if o.DebounceAfter < 0 || o.DebounceMax < 0 || o.Workers < 0 || o.PushThrottle < 0 || o.PushAckTimeout < 0 {
		return fmt.Errorf("xds server: negative debounce, worker count or push throttle")
	}
	if o.PushThrottle == 0 {
		o.PushThrottle = DefaultPushThrottle
	}
	if o.PushAckTimeout == 0 {
		o.PushAckTimeout = DefaultPushAckTimeout
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
