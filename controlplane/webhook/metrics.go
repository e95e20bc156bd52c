package webhook

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshctl/meshctl/controlplane/ca"
)

// Metrics are the webhooks' counters, under Istio's names.
type Metrics struct {
	InjectionRequests prometheus.Counter
	InjectionSuccess  prometheus.Counter
	InjectionSkipped  prometheus.Counter
	InjectionFailed   prometheus.Counter
	// ValidationPassed and ValidationFailed count by group, version and resource (and reason for failures).
	ValidationPassed *prometheus.CounterVec
	ValidationFailed *prometheus.CounterVec
}

// NewMetrics registers the webhooks' metrics with reg (nil: a private registry).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var err error
	counter := func(name, help string) prometheus.Counter {
		c, e := ca.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help}))
		err = errors.Join(err, e)
		return c
	}
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		c, e := ca.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
		err = errors.Join(err, e)
		return c
	}
	m := &Metrics{
		InjectionRequests: counter("sidecar_injection_requests_total", "Total number of sidecar injection requests."),
		InjectionSuccess:  counter("sidecar_injection_success_total", "Total number of successful sidecar injection requests."),
		InjectionSkipped:  counter("sidecar_injection_skip_total", "Total number of skipped sidecar injection requests."),
		InjectionFailed:   counter("sidecar_injection_failure_total", "Total number of failed sidecar injection requests."),
		ValidationPassed:  vec("galley_validation_passed", "Resource is valid.", "group", "version", "resource"),
		ValidationFailed:  vec("galley_validation_failed", "Resource validation failed.", "group", "version", "resource", "reason"),
	}
	return m, err
}
