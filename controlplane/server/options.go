// Package server assembles meshd: the store and translator (a Backend), the xDS server on 15010
// (plaintext) and 15012 (TLS), the monitoring port 15014 and the readiness port 8080, and stops
// them all cleanly when its context ends.
package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/meshctl/meshctl/controlplane/security"
	"github.com/meshctl/meshctl/controlplane/xdsserver"
)

// Options are meshd's settings; cmd/meshd binds them to flags.
type Options struct {
	XDSAddr        string // plaintext ADS, Istio's 15010
	SecureXDSAddr  string // TLS ADS, Istio's 15012; served only with a certificate
	MonitoringAddr string // /metrics, /version, /debug/*, Istio's 15014
	ReadyAddr      string // /ready, istiod's 8080

	// TLSCertFile and TLSKeyFile serve 15012 instead of the certificate meshd's own CA issues.
	TLSCertFile, TLSKeyFile string

	// Security runs the CA, the CSR service on the TLS xDS port, the webhooks and the root
	// certificate's distribution (controlplane/security); nil runs none of them. Its Registerer
	// and Log are meshd's.
	Security *security.Options

	DebounceAfter, DebounceMax time.Duration
	// PushThrottle is how many proxies a push is sent to at once (PILOT_PUSH_THROTTLE).
	PushThrottle int
	// ShutdownTimeout bounds the graceful stop of the gRPC and HTTP servers.
	ShutdownTimeout time.Duration

	// Version is reported by pilot_info and /version.
	Version string
	// BuildInfo is /version's body.
	BuildInfo any
	Logger    *slog.Logger
}

// DefaultOptions are istiod's ports and timings.
func DefaultOptions() Options {
	return Options{
		XDSAddr:         ":15010",
		SecureXDSAddr:   ":15012",
		MonitoringAddr:  ":15014",
		ReadyAddr:       ":8080",
		DebounceAfter:   xdsserver.DefaultDebounceAfter,
		DebounceMax:     xdsserver.DefaultDebounceMax,
		PushThrottle:    xdsserver.DefaultPushThrottle,
		ShutdownTimeout: 10 * time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (o *Options) Validate() error {
	if o.XDSAddr == "" && o.SecureXDSAddr == "" {
		return fmt.Errorf("no xDS address: set the plaintext or the TLS one")
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return fmt.Errorf("TLS: give both the certificate and the key file, or neither")
	}
	if o.DebounceAfter <= 0 || o.DebounceMax <= 0 {
		return fmt.Errorf("debounce: want positive durations, got after %s, max %s", o.DebounceAfter, o.DebounceMax)
	}
	if o.DebounceMax < o.DebounceAfter {
		return fmt.Errorf("debounce: max %s is shorter than after %s", o.DebounceMax, o.DebounceAfter)
	}
	if o.PushThrottle <= 0 {
		return fmt.Errorf("push throttle: want a positive number of proxies, got %d", o.PushThrottle)
	}
	if o.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown timeout: want a positive duration, got %s", o.ShutdownTimeout)
	}
	return nil
}
