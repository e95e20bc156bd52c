// Package admin serves the proxy's own HTTP endpoints, as Envoy and Istio's agent do on the same
// ports: the admin page on 15000 (config dump, clusters, listeners, stats, logging, quitquitquit;
// `meshctl dashboard proxy` opens it), readiness on 15021, Prometheus metrics on 15090, and the
// status port 15020 with the rewritten application probes and the merged metrics.
package admin

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meshctl/meshctl/proxy/listener"
)

// Server holds what the endpoints show and change.
type Server struct {
	Proxy *listener.Manager
	// Metrics gathers the proxy's metrics (istio_* and envoy_*).
	Metrics prometheus.Gatherer
	// Level is the log level /logging changes.
	Level *slog.LevelVar
	// Quit asks the process to drain and exit (/quitquitquit).
	Quit func()
	// ConfigDump renders /config_dump: Envoy's format when the configuration came over xDS.
	ConfigDump func() ([]byte, error)
	// Version is shown by /server_info.
	Version string
	// Probers are the application's probes by path (/app-health/<container>/readyz ...).
	Probers map[string]*Prober
	// AppMetrics is the application's own metrics endpoint, merged into the status port's
	// /stats/prometheus; nil when there is none.
	AppMetrics *AppMetrics
}

// Admin is the handler of the admin port (15000), which listens on localhost only.
func (s *Server) Admin() http.Handler {
	mux := http.NewServeMux()
	endpoints := map[string]struct {
		help string
		h    http.HandlerFunc
	}{
		"/config_dump":      {"the configuration in use", s.configDump},
		"/clusters":         {"upstream clusters, their endpoints and counters", s.clusters},
		"/listeners":        {"listeners and their addresses", s.listeners},
		"/stats":            {"counters, as name: value", s.stats},
		"/stats/prometheus": {"counters in Prometheus' format", s.prometheus},
		"/ready":            {"LIVE once a configuration is applied", s.ready},
		"/server_info":      {"state and version", s.serverInfo},
		"/logging":          {"the log level; POST ?level=debug|info|warning|error changes it", s.logging},
		"/quitquitquit":     {"POST: drain and exit", s.quit},
		"/healthz/ready":    {"200 once a configuration is applied", s.healthReady},
	}
	// Go's profiler, for the proxy's developers: the admin port is on localhost only.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	paths := make([]string, 0, len(endpoints))
	for p, e := range endpoints {
		mux.HandleFunc(p, e.h)
		paths = append(paths, p)
	}
	sort.Strings(paths)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>mesh-proxy admin</title><h1>mesh-proxy admin</h1><table>\n")
		for _, p := range paths {
			fmt.Fprintf(w, "<tr><td><a href=%q>%s</a></td><td>%s</td></tr>\n", strings.TrimPrefix(p, "/"), p, endpoints[p].help)
		}
		fmt.Fprintf(w, "</table>\n")
	})
	return mux
}

// Health is the handler of the health port (15021): the sidecar's readiness probe.
func (s *Server) Health() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz/ready", s.healthReady)
	return mux
}

// Prometheus is the handler of the Prometheus port (15090).
func (s *Server) Prometheus() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats/prometheus", s.prometheus)
	return mux
}

// Status is the handler of the status port (15020): application probes, merged metrics, readiness.
func (s *Server) Status() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz/ready", s.healthReady)
	mux.HandleFunc("/stats/prometheus", s.mergedMetrics)
	mux.HandleFunc("/app-health/", s.appHealth)
	return mux
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if !s.Proxy.Applied() {
		http.Error(w, "PRE_INITIALIZING", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "LIVE\n")
}

func (s *Server) healthReady(w http.ResponseWriter, _ *http.Request) {
	if !s.Proxy.Applied() {
		http.Error(w, "no configuration from the control plane yet", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) serverInfo(w http.ResponseWriter, _ *http.Request) {
	state := "PRE_INITIALIZING"
	if s.Proxy.Applied() {
		state = "LIVE"
	}
	writeJSON(w, map[string]any{"state": state, "version": s.Version, "config_version": s.Proxy.Config().Version})
}

func (s *Server) configDump(w http.ResponseWriter, _ *http.Request) {
	if s.ConfigDump != nil {
		b, err := s.ConfigDump()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
		return
	}
	writeJSON(w, s.Proxy.Config())
}

func (s *Server) clusters(w http.ResponseWriter, r *http.Request) {
	clusters := s.Proxy.Clusters()
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	if r.URL.Query().Get("format") == "json" {
		type host struct {
			Address                              string
			Weight                               uint32
			Healthy                              bool
			CxActive, RqActive, RqTotal, RqError int64
		}
		out := map[string][]host{}
		for _, n := range names {
			for _, h := range clusters[n].Hosts() {
				st := h.Stats()
				out[n] = append(out[n], host{st.Addr, st.Weight, !st.Ejected, st.CxActive, st.Active, st.Total, st.Errors})
			}
		}
		writeJSON(w, out)
		return
	}
	// Envoy's text format: cluster::host::stat::value.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, n := range names {
		c := clusters[n]
		l := c.Config().Limits
		fmt.Fprintf(w, "%s::default_priority::max_connections::%d\n%s::default_priority::max_pending_requests::%d\n%s::default_priority::max_requests::%d\n%s::default_priority::max_retries::%d\n",
			n, l.MaxConnections, n, l.MaxPendingRequests, n, l.MaxRequests, n, l.MaxRetries)
		for _, h := range c.Hosts() {
			st := h.Stats()
			health := "healthy"
			if st.Ejected {
				health = "/failed_outlier_check"
			}
			fmt.Fprintf(w, "%s::%s::cx_active::%d\n%s::%s::rq_active::%d\n%s::%s::rq_total::%d\n%s::%s::rq_error::%d\n%s::%s::weight::%d\n%s::%s::health_flags::%s\n",
				n, st.Addr, st.CxActive, n, st.Addr, st.Active, n, st.Addr, st.Total, n, st.Addr, st.Errors, n, st.Addr, st.Weight, n, st.Addr, health)
		}
	}
}

func (s *Server) listeners(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	cfg := s.Proxy.Config()
	bound := s.Proxy.Addrs()
	for _, l := range cfg.Listeners {
		addr := l.Address.String()
		if a, ok := bound[l.Name]; ok {
			addr = a.String()
		}
		fmt.Fprintf(w, "%s::%s\n", l.Name, addr)
	}
}

func (s *Server) stats(w http.ResponseWriter, _ *http.Request) {
	families, err := s.Metrics.Gather()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			name := f.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				fmt.Fprintf(w, "%s: %g\n", name, m.GetCounter().GetValue())
			case m.Gauge != nil:
				fmt.Fprintf(w, "%s: %g\n", name, m.GetGauge().GetValue())
			case m.Histogram != nil:
				fmt.Fprintf(w, "%s: count=%d sum=%g\n", name, m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum())
			}
		}
	}
}

func (s *Server) prometheus(w http.ResponseWriter, r *http.Request) {
	promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

func (s *Server) logging(w http.ResponseWriter, r *http.Request) {
	if s.Level == nil {
		http.Error(w, "log level fixed", http.StatusNotImplemented)
		return
	}
	if r.Method == http.MethodPost {
		if v := r.URL.Query().Get("level"); v != "" {
			l, ok := ParseLevel(v)
			if !ok {
				http.Error(w, fmt.Sprintf("unknown level %q: want trace, debug, info, warning, error, critical or off", v), http.StatusBadRequest)
				return
			}
			s.Level.Set(l)
		}
	}
	fmt.Fprintf(w, "active loggers:\n  default: %s\n", LevelName(s.Level.Level()))
}

func (s *Server) quit(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	io.WriteString(w, "OK\n")
	if s.Quit != nil {
		s.Quit()
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// ParseLevel reads Envoy's and Istio's level names.
func ParseLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warning", "warn":
		return slog.LevelWarn, true
	case "error", "critical":
		return slog.LevelError, true
	case "off", "none":
		return slog.LevelError + 100, true
	}
	return 0, false
}

// LevelName is Envoy's name of a level.
func LevelName(l slog.Level) string {
	switch {
	case l <= slog.LevelDebug:
		return "debug"
	case l <= slog.LevelInfo:
		return "info"
	case l <= slog.LevelWarn:
		return "warning"
	case l <= slog.LevelError:
		return "error"
	}
	return "off"
}
