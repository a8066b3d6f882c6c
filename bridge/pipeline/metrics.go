package pipeline

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accessbridge/accessbridge/bridge"
	"github.com/accessbridge/accessbridge/policy"
)

// Metrics are the pipeline's Prometheus collectors.
type Metrics struct {
	deliveries *prometheus.CounterVec
	verdicts   *prometheus.CounterVec
	actions    *prometheus.CounterVec
	upstream   *prometheus.CounterVec
	gates      *prometheus.CounterVec
	evalTime   prometheus.Histogram
}

func newMetrics() *Metrics {
	return &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_deliveries_total", Help: "Webhook and poll deliveries by source and result."}, []string{"source", "result"}),
		verdicts:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_evaluations_total", Help: "Evaluations by verdict and category."}, []string{"verdict", "category"}),
		actions:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_actions_total", Help: "Actions applied by kind and result."}, []string{"kind", "result"}),
		upstream:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_upstream_errors_total", Help: "Upstream call failures by source, operation and reason."}, []string{"source", "op", "reason"}),
		gates:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bridge_gate_answers_total", Help: "Gate answers."}, []string{"answer"}),
		evalTime:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bridge_evaluation_seconds", Help: "Fetch and evaluation time of one ticket.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
	}
}

// Collectors lists every collector for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.deliveries, m.verdicts, m.actions, m.upstream, m.gates, m.evalTime}
}

func (m *Metrics) delivery(source, result string) { m.deliveries.WithLabelValues(source, result).Inc() }

func (m *Metrics) evaluated(d policy.Decision, took time.Duration) {
	m.verdicts.WithLabelValues(string(d.Verdict), string(d.Classification.Category)).Inc()
	m.evalTime.Observe(took.Seconds())
}

func (m *Metrics) action(kind string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.actions.WithLabelValues(kind, result).Inc()
}

func (m *Metrics) upstreamError(source, op string, err error) {
	reason := "unknown"
	var ue *bridge.UpstreamError
	if errors.As(err, &ue) {
		reason = ue.Reason
	}
	m.upstream.WithLabelValues(source, op, reason).Inc()
}

func (m *Metrics) gate(allow bool) {
	a := "deny"
	if allow {
		a = "allow"
	}
	m.gates.WithLabelValues(a).Inc()
}
