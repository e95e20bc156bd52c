package stats

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshctl/meshctl/proxy/cluster"
	"github.com/meshctl/meshctl/proxy/listener"
)

// Envoy collects Envoy's counters (envoy_cluster_*, envoy_http_downstream_*) from the running proxy
// when scraped.
type Envoy struct {
	Proxy *listener.Manager
}

type clusterStat struct {
	name, help string
	kind       prometheus.ValueType
	read       func(*cluster.Stats) int64
}

var clusterStats = []clusterStat{
	{"upstream_rq_total", "Requests sent.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.RqTotal.Load() }},
	{"upstream_rq_2xx", "2xx answers.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.Rq2xx.Load() }},
	{"upstream_rq_3xx", "3xx answers.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.Rq3xx.Load() }},
	{"upstream_rq_4xx", "4xx answers.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.Rq4xx.Load() }},
	{"upstream_rq_5xx", "5xx answers.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.Rq5xx.Load() }},
	{"upstream_rq_pending_overflow", "Requests refused by a circuit breaker.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.RqPendingOverflow.Load() }},
	{"upstream_rq_timeout", "Requests that timed out.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.RqTimeout.Load() }},
	{"upstream_rq_retry", "Retries.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.RqRetry.Load() }},
	{"upstream_rq_retry_overflow", "Retries refused by max_retries.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.RqRetryOverflow.Load() }},
	{"upstream_cx_total", "Connections opened.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.CxTotal.Load() }},
	{"upstream_cx_active", "Connections open.", prometheus.GaugeValue, func(s *cluster.Stats) int64 { return s.CxActive.Load() }},
	{"upstream_cx_connect_fail", "Connection failures.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.CxConnectFail.Load() }},
	{"outlier_detection_ejections_total", "Outlier ejections.", prometheus.CounterValue, func(s *cluster.Stats) int64 { return s.EjectionsTotal.Load() }},
	{"outlier_detection_ejections_active", "Hosts ejected now.", prometheus.GaugeValue, func(s *cluster.Stats) int64 { return s.EjectionsActive.Load() }},
}

var clusterDescs = func() []*prometheus.Desc {
	d := make([]*prometheus.Desc, len(clusterStats))
	for i, s := range clusterStats {
		d[i] = prometheus.NewDesc("envoy_cluster_"+s.name, s.help, []string{"cluster_name"}, nil)
	}
	return d
}()

var (
	membershipHealthy = prometheus.NewDesc("envoy_cluster_membership_healthy", "Endpoints not ejected.", []string{"cluster_name"}, nil)
	membershipTotal   = prometheus.NewDesc("envoy_cluster_membership_total", "Endpoints.", []string{"cluster_name"}, nil)
	downstreamCx      = prometheus.NewDesc("envoy_listener_downstream_cx_total", "Downstream connections accepted.", nil, nil)
	downstreamCxOpen  = prometheus.NewDesc("envoy_listener_downstream_cx_active", "Downstream connections open.", nil, nil)
	downstreamRq      = prometheus.NewDesc("envoy_http_downstream_rq_xx", "Downstream requests by status class.", []string{"envoy_response_code_class"}, nil)
	rbacDenied        = prometheus.NewDesc("envoy_rbac_denied", "Requests and connections RBAC denied (AuthorizationPolicy).", nil, nil)
	rbacLogged        = prometheus.NewDesc("envoy_rbac_logged", "Requests and connections an AUDIT policy matched.", nil, nil)
	jwtDenied         = prometheus.NewDesc("envoy_jwt_authn_denied", "Requests refused for their token (401).", nil, nil)
	serverState       = prometheus.NewDesc("envoy_server_state", "0: live, 2: initializing (no configuration yet).", nil, nil)
)

// Describe implements prometheus.Collector.
func (e Envoy) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range clusterDescs {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{membershipHealthy, membershipTotal, downstreamCx, downstreamCxOpen, downstreamRq, rbacDenied, rbacLogged, jwtDenied, serverState} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (e Envoy) Collect(ch chan<- prometheus.Metric) {
	clusters := e.Proxy.Clusters()
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := clusters[n]
		for i, s := range clusterStats {
			ch <- prometheus.MustNewConstMetric(clusterDescs[i], s.kind, float64(s.read(&c.Stats)), n)
		}
		ch <- prometheus.MustNewConstMetric(membershipHealthy, prometheus.GaugeValue, float64(c.HealthyCount()), n)
		ch <- prometheus.MustNewConstMetric(membershipTotal, prometheus.GaugeValue, float64(len(c.Hosts())), n)
	}
	st := &e.Proxy.Stats
	ch <- prometheus.MustNewConstMetric(downstreamCx, prometheus.CounterValue, float64(st.CxTotal.Load()))
	ch <- prometheus.MustNewConstMetric(downstreamCxOpen, prometheus.GaugeValue, float64(e.Proxy.ActiveConnections()))
	for class, v := range map[string]int64{"1": st.Rq1xx.Load(), "2": st.Rq2xx.Load(), "3": st.Rq3xx.Load(), "4": st.Rq4xx.Load(), "5": st.Rq5xx.Load()} {
		ch <- prometheus.MustNewConstMetric(downstreamRq, prometheus.CounterValue, float64(v), class)
	}
	ch <- prometheus.MustNewConstMetric(rbacDenied, prometheus.CounterValue, float64(st.RBACDenied.Load()))
	ch <- prometheus.MustNewConstMetric(rbacLogged, prometheus.CounterValue, float64(st.RBACAudited.Load()))
	ch <- prometheus.MustNewConstMetric(jwtDenied, prometheus.CounterValue, float64(st.JWTDenied.Load()))
	state := 2.0
	if e.Proxy.Applied() {
		state = 0
	}
	ch <- prometheus.MustNewConstMetric(serverState, prometheus.GaugeValue, state)
}
