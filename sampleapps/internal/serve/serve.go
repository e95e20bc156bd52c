// Package serve runs the sample applications' HTTP servers: listen, log each request, and shut down
// gracefully when the context ends (SIGTERM).
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// shutdownGrace is how long in-flight requests may take to finish after SIGTERM; Kubernetes gives a pod
// 30 s by default before it kills it.
const shutdownGrace = 20 * time.Second

// ListenAndServe listens on addr and serves h until ctx ends.
func ListenAndServe(ctx context.Context, log *slog.Logger, addr string, h http.Handler) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return Serve(ctx, log, ln, h)
}

// Serve serves h on ln until ctx ends, then stops accepting, lets in-flight requests finish (for at most
// shutdownGrace) and returns nil. It closes ln.
func Serve(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           AccessLog(log, h),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	log.Info("listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", shutdownGrace.String())
	// The requests' contexts derive from ctx, so handlers waiting on a backend stop at once; Shutdown
	// waits for them to write their answer.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	log.Info("stopped")
	return nil
}
