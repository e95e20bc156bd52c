package ca

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the CA's counters, under Istio's names (dashboards and alerts key on them).
type Metrics struct {
	CSRs        prometheus.Counter
	Issued      prometheus.Counter
	AuthnFailed prometheus.Counter
	CSRErrors   prometheus.Counter
	RootExpiry  prometheus.Gauge
	// TokenCacheHits and TokenCacheMisses count lookups of the token review cache (meshd's own: Istio
	// has no such metric).
	TokenCacheHits, TokenCacheMisses prometheus.Counter
}

// NewMetrics registers the CA's metrics with reg (nil: a private registry, for tests). Registering twice
// with one registry (two CAs in a test) shares the first one's collectors.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var err error
	m := &Metrics{}
	counter := func(name, help string) prometheus.Counter {
		c, e := Register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help}))
		err = errors.Join(err, e)
		return c
	}
	m.CSRs = counter("citadel_server_csr_count", "The number of CSRs received by Citadel server.")
	m.Issued = counter("citadel_server_success_cert_issuance_count", "The number of certificates issuances that have succeeded.")
	m.AuthnFailed = counter("citadel_server_authentication_failure_count", "The number of authentication failures.")
	m.CSRErrors = counter("citadel_server_csr_parsing_err_count", "The number of errors occurred when parsing the CSR.")
	m.TokenCacheHits = counter("meshd_ca_token_review_cache_hits_total", "The number of CSR tokens found in the token review cache.")
	m.TokenCacheMisses = counter("meshd_ca_token_review_cache_misses_total", "The number of CSR tokens not in the token review cache (a TokenReview follows).")
	var e error
	m.RootExpiry, e = Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "citadel_server_root_cert_expiry_timestamp",
		Help: "The unix timestamp, in seconds, when Citadel root cert will expire."}))
	return m, errors.Join(err, e)
}

// Register registers c with reg, or returns the collector registered under its name before.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
