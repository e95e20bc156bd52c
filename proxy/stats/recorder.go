// Package stats keeps the proxy's metrics under Istio's and Envoy's names: the istio_* request
// metrics a sidecar reports (istio_requests_total, istio_request_duration_milliseconds,
// istio_tcp_*), recorded from each request's accesslog.Info, and Envoy's cluster and listener
// counters, read from the running clusters when scraped. client_golang renders them.
package stats

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshctl/meshctl/proxy/accesslog"
)

// Workload is who the proxy reports as: its side of every request.
type Workload struct {
	Name, Namespace, App, Version, Cluster string
	CanonicalService, CanonicalRevision    string
}

// durationBuckets are Istio's, in milliseconds.
var durationBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// Recorder accumulates the request metrics.
type Recorder struct {
	self     Workload
	mu       sync.RWMutex
	requests map[requestKey]*requestSeries
	tcp      map[tcpKey]*tcpSeries
	services sync.Map // cluster name → service
}

type requestKey struct {
	inbound               bool
	service               string // destination_service (host)
	code, flags, protocol string
}

type requestSeries struct {
	count   atomic.Int64
	buckets []atomic.Int64 // cumulative counts are computed when scraped
	sumUS   atomic.Int64
}

type tcpKey struct {
	inbound bool
	service string
	flags   string
}

type tcpSeries struct {
	opened, closed, sent, received atomic.Int64
}

// NewRecorder records metrics reported as self.
func NewRecorder(self Workload) *Recorder {
	return &Recorder{self: self, requests: map[requestKey]*requestSeries{}, tcp: map[tcpKey]*tcpSeries{}}
}

var statusText [600]string

func init() {
	for i := range statusText {
		statusText[i] = strconv.Itoa(i)
	}
}

// Observe records one finished request or TCP connection.
func (r *Recorder) Observe(i *accesslog.Info) {
	svc := r.service(i.Cluster)
	flags := "-"
	if i.Flags != 0 {
		flags = i.Flags.String()
	}
	if i.Method == "" { // a TCP connection
		k := tcpKey{i.Inbound, svc, flags}
		s := r.tcpSeries(k)
		s.opened.Add(1)
		s.closed.Add(1)
		s.sent.Add(i.BytesSent)
		s.received.Add(i.BytesReceived)
		return
	}
	code := "0"
	if i.Status > 0 && i.Status < len(statusText) {
		code = statusText[i.Status]
	}
	proto := "http"
	if strings.HasPrefix(i.Protocol, "HTTP/2") {
		proto = "http2"
	}
	k := requestKey{i.Inbound, svc, code, flags, proto}
	s := r.requestSeries(k)
	s.count.Add(1)
	ms := float64(i.Duration) / float64(time.Millisecond)
	for b, le := range durationBuckets {
		if ms <= le {
			s.buckets[b].Add(1)
			break
		}
	}
	s.sumUS.Add(i.Duration.Microseconds())
}

func (r *Recorder) requestSeries(k requestKey) *requestSeries {
	return getOrAdd(&r.mu, r.requests, k, func() *requestSeries {
		return &requestSeries{buckets: make([]atomic.Int64, len(durationBuckets))}
	})
}

func (r *Recorder) tcpSeries(k tcpKey) *tcpSeries {
	return getOrAdd(&r.mu, r.tcp, k, func() *tcpSeries { return &tcpSeries{} })
}

// getOrAdd finds a series under the read lock, and adds it under the write lock when it is new.
func getOrAdd[K comparable, V any](mu *sync.RWMutex, m map[K]*V, k K, create func() *V) *V {
	mu.RLock()
	s := m[k]
	mu.RUnlock()
	if s != nil {
		return s
	}
	mu.Lock()
	defer mu.Unlock()
	if s = m[k]; s == nil {
		s = create()
		m[k] = s
	}
	return s
}

// service is the destination service of a cluster: the host of "outbound|PORT|SUBSET|HOST", the
// cluster name otherwise, "unknown" for none.
func (r *Recorder) service(cluster string) string {
	if cluster == "" {
		return "unknown"
	}
	if s, ok := r.services.Load(cluster); ok {
		return s.(string)
	}
	svc := cluster
	if parts := strings.Split(cluster, "|"); len(parts) == 4 && parts[3] != "" {
		svc = parts[3]
	}
	r.services.Store(cluster, svc)
	return svc
}

var (
	requestLabels = []string{"reporter", "source_workload", "source_workload_namespace", "source_app", "source_version",
		"source_canonical_service", "source_canonical_revision", "source_cluster",
		"destination_workload", "destination_workload_namespace", "destination_app", "destination_version",
		"destination_canonical_service", "destination_canonical_revision", "destination_cluster",
		"destination_service", "destination_service_name", "destination_service_namespace",
		"request_protocol", "response_code", "response_flags", "connection_security_policy"}
	tcpLabels       = append(append([]string{}, requestLabels[:18]...), "response_flags", "connection_security_policy")
	requestsTotal   = prometheus.NewDesc("istio_requests_total", "Requests, as the proxy saw them.", requestLabels, nil)
	requestDuration = prometheus.NewDesc("istio_request_duration_milliseconds", "Request durations.", requestLabels, nil)
	tcpOpened       = prometheus.NewDesc("istio_tcp_connections_opened_total", "TCP connections opened.", tcpLabels, nil)
	tcpClosed       = prometheus.NewDesc("istio_tcp_connections_closed_total", "TCP connections closed.", tcpLabels, nil)
	tcpSent         = prometheus.NewDesc("istio_tcp_sent_bytes_total", "Bytes sent to the downstream of TCP connections.", tcpLabels, nil)
	tcpReceived     = prometheus.NewDesc("istio_tcp_received_bytes_total", "Bytes received from the downstream of TCP connections.", tcpLabels, nil)
)

// Describe implements prometheus.Collector.
func (r *Recorder) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{requestsTotal, requestDuration, tcpOpened, tcpClosed, tcpSent, tcpReceived} {
		ch <- d
	}
}

// peerLabels are the labels of both sides: the proxy's own workload on its side, the service on
// the other (the peer's workload is unknown until metadata exchange).
func (r *Recorder) peerLabels(inbound bool, svc string) []string {
	me := r.self
	own := []string{me.Name, me.Namespace, me.App, me.Version, me.CanonicalService, me.CanonicalRevision, me.Cluster}
	unknown := []string{"unknown", "unknown", "unknown", "unknown", "unknown", "latest", "unknown"}
	name, ns, _ := strings.Cut(svc, ".")
	ns, _, _ = strings.Cut(ns, ".")
	var l []string
	reporter := "source"
	if inbound {
		reporter = "destination"
		l = append(append(append(l, reporter), unknown...), own...)
	} else {
		l = append(append(append(l, reporter), own...), unknown...)
	}
	return append(l, svc, name, ns)
}

// Collect implements prometheus.Collector.
func (r *Recorder) Collect(ch chan<- prometheus.Metric) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for k, s := range r.requests {
		l := append(r.peerLabels(k.inbound, k.service), k.protocol, k.code, k.flags, "none")
		ch <- prometheus.MustNewConstMetric(requestsTotal, prometheus.CounterValue, float64(s.count.Load()), l...)
		buckets := make(map[float64]uint64, len(durationBuckets))
		var cum uint64
		for i, le := range durationBuckets {
			cum += uint64(s.buckets[i].Load())
			buckets[le] = cum
		}
		ch <- prometheus.MustNewConstHistogram(requestDuration, uint64(s.count.Load()), float64(s.sumUS.Load())/1000, buckets, l...)
	}
	for k, s := range r.tcp {
		l := append(r.peerLabels(k.inbound, k.service), k.flags, "none")
		ch <- prometheus.MustNewConstMetric(tcpOpened, prometheus.CounterValue, float64(s.opened.Load()), l...)
		ch <- prometheus.MustNewConstMetric(tcpClosed, prometheus.CounterValue, float64(s.closed.Load()), l...)
		ch <- prometheus.MustNewConstMetric(tcpSent, prometheus.CounterValue, float64(s.sent.Load()), l...)
		ch <- prometheus.MustNewConstMetric(tcpReceived, prometheus.CounterValue, float64(s.received.Load()), l...)
	}
}
