// Package metrics holds meshd's Prometheus series under Istio's names (pilot_*), so that dashboards
// and alerts written for istiod keep working. One Metrics value per process, registered on the
// registry the caller gives: no package-level collectors, so tests run side by side.
package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is every series meshd exports. The xDS server, the debounce loop and the store each
// record into their part.
type Metrics struct {
	// XDS is pilot_xds: connected proxies (streams), by the proxy's ISTIO_VERSION.
	XDS *prometheus.GaugeVec
	// Pushes is pilot_xds_pushes: responses sent, by short type (cds, eds, lds, rds) and by
	// failures (cds_senderr ...), as Istio labels them.
	Pushes *prometheus.CounterVec
	// ConvergenceTime is pilot_proxy_convergence_time: from the first change of a debounced
	// batch to the response of that batch leaving for a proxy.
	ConvergenceTime prometheus.Histogram
	// PushTime is pilot_xds_push_time: time to generate and hand over one proxy's resources, by type.
	PushTime *prometheus.HistogramVec
	// Rejects is pilot_total_xds_rejects: NACKs, by type.
	Rejects *prometheus.CounterVec
	// RegEvents is pilot_k8s_reg_events: events the store received, by kind and event.
	RegEvents *prometheus.CounterVec
	// Info is pilot_info: always 1, labelled with the build version.
	Info *prometheus.GaugeVec
	// Debounced is pilot_debounce_time: how long a batch of changes waited before its push.
	Debounced prometheus.Histogram
	// PushTriggers is pilot_push_triggers: pushes started, by kind of change (full, eds).
	PushTriggers *prometheus.CounterVec
}

// Istio's buckets for convergence and push times (pilot/pkg/xds/monitoring.go).
var timeBuckets = []float64{.01, .1, .5, 1, 3, 5, 10, 20, 30}

// New creates the series and registers them, with the Go and process collectors, on reg.
func New(reg prometheus.Registerer, version string) (*Metrics, error) {
	m := &Metrics{
		XDS: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pilot_xds", Help: "Number of endpoints connected to this pilot using XDS.",
		}, []string{"version"}),
		Pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pilot_xds_pushes", Help: "Pilot build and send errors for lds, rds, cds and eds.",
		}, []string{"type"}),
		ConvergenceTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pilot_proxy_convergence_time", Help: "Delay in seconds between config change and a proxy receiving all required configuration.",
			Buckets: timeBuckets,
		}),
		PushTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pilot_xds_push_time", Help: "Total time in seconds Pilot takes to push lds, rds, cds and eds.",
			Buckets: timeBuckets,
		}, []string{"type"}),
		Rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pilot_total_xds_rejects", Help: "Total number of XDS responses from pilot rejected by proxy.",
		}, []string{"type"}),
		RegEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pilot_k8s_reg_events", Help: "Events from k8s registry.",
		}, []string{"type", "event"}),
		Info: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pilot_info", Help: "Pilot version and build information.",
		}, []string{"version"}),
		Debounced: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pilot_debounce_time", Help: "Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.",
			Buckets: timeBuckets,
		}),
		PushTriggers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pilot_push_triggers", Help: "Total number of times a push was triggered, labeled by reason for the push.",
		}, []string{"type"}),
	}
	m.Info.WithLabelValues(version).Set(1)
	for _, c := range []prometheus.Collector{
		m.XDS, m.Pushes, m.ConvergenceTime, m.PushTime, m.Rejects, m.RegEvents, m.Info, m.Debounced, m.PushTriggers,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metric: %w", err)
		}
	}
	return m, nil
}

// RegEvent counts one event the store received: kind is the resource kind ("Services",
// "EndpointSlice", "VirtualService"...), event is "add", "update" or "delete", as Istio labels them.
func (m *Metrics) RegEvent(kind, event string) {
	if m == nil {
		return
	}
	m.RegEvents.WithLabelValues(kind, event).Inc()
}
