// Package debug serves meshd's monitoring port (15014: /metrics, /version, /debug/*) and its
// readiness port (8080: /ready), with the paths istiod has, so that istioctl's and Prometheus'
// habits work unchanged. What it shows comes from small functions the caller wires: the package
// knows nothing of the store or the xDS server.
package debug

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// ErrNotFound, wrapped by a source's error, answers 404 (an unknown proxy id).
var ErrNotFound = errors.New("not found")

// Sources feed the monitoring port. A nil function answers an empty JSON list.
type Sources struct {
	Gatherer prometheus.Gatherer
	// Version is /version's body (the build info).
	Version any
	// Syncz is /debug/syncz: per proxy, what was sent, ACKed and NACKed by type.
	Syncz func() any
	// PushStatus is /debug/push_status.
	PushStatus func() any
	// ConfigDump is /debug/config_dump?proxyID=: the proxy's configuration as Envoy's admin dump.
	ConfigDump func(proxyID string) (proto.Message, error)
	// Configz, Registryz and Endpointz show the store: Istio configuration, services, endpoints.
	Configz   func() any
	Registryz func() any
	Endpointz func() any
	Logger    *slog.Logger
}

// Monitoring is the 15014 handler.
func Monitoring(src Sources) http.Handler {
	log := src.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	if src.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(src.Gatherer, promhttp.HandlerOpts{ErrorLog: slogPrinter{log}}))
	}
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, log, src.Version) })
	for path, f := range map[string]func() any{
		"/debug/syncz":       src.Syncz,
		"/debug/push_status": src.PushStatus,
		"/debug/configz":     src.Configz,
		"/debug/registryz":   src.Registryz,
		"/debug/endpointz":   src.Endpointz,
	} {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			if f == nil {
				writeJSON(w, log, []any{})
				return
			}
			writeJSON(w, log, f())
		})
	}
	mux.HandleFunc("GET /debug/config_dump", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("proxyID")
		if id == "" {
			http.Error(w, "proxyID query parameter required (node id or POD.NAMESPACE)", http.StatusBadRequest)
			return
		}
		if src.ConfigDump == nil {
			http.Error(w, "config dump not available", http.StatusNotFound)
			return
		}
		dump, err := src.ConfigDump(id)
		switch {
		case errors.Is(err, ErrNotFound):
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		case err != nil:
			log.Error("config dump", "proxy", id, "error", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(dump)
		if err != nil {
			log.Error("config dump", "proxy", id, "error", err)
			http.Error(w, fmt.Sprintf("marshal config dump: %v", err), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	return mux
}

// Readiness is the 8080 handler: /ready answers 200 once notReady() is nil, else 503 with its reason
// (informers not synced, no CA yet, the injector's ConfigMap missing: each needs a different fix).
func Readiness(notReady func() error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		if notReady == nil {
			http.Error(w, "not ready: no readiness check", http.StatusServiceUnavailable)
			return
		}
		if err := notReady(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

func writeJSON(w http.ResponseWriter, log *slog.Logger, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		log.Error("debug endpoint", "error", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Error(fmt.Sprint(v...)) }
