package benchkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Names of the custom metrics the scripts in bench/ emit (see bench/lib.js).
const (
	MetricOps      = "bench_ops"
	MetricWindowMs = "bench_window_ms"
	MetricSockets  = "bench_sockets"
	MetricErrors   = "bench_errors"
	// MetricOpenedAfter is when each socket opened, in ms after its VU began
	// opening them (a trend; the scale scenario reports it).
	MetricOpenedAfter = "bench_opened_after_ms"
	// MetricConnecting is k6's own handshake-time trend.
	MetricConnecting = "ws_connecting"
)

// Outcome is what one scenario run reports, whichever client ran it: k6
// through its summary export, or the ceiling client directly.
type Outcome struct {
	// Ops counts work units inside the measured window: round trips,
	// messages received or sessions.
	Ops float64 `json:"ops"`
	// WindowMs sums every socket's measured window.
	WindowMs float64 `json:"window_ms"`
	// Sockets counts the sockets that did their job.
	Sockets float64 `json:"sockets"`
	// Errors counts the sockets or sessions that did not.
	Errors float64 `json:"errors"`
	// OpsRate is Ops per second of the whole test run.
	OpsRate float64 `json:"ops_rate"`
	// ConnectingP95Ms is the 95th percentile of the handshake time, when known.
	ConnectingP95Ms float64 `json:"connecting_p95_ms"`
	// LastOpenMs is when the last socket opened, in ms after its VU (or the
	// client) began opening them, when known: sockets that stay open longer
	// than that were all open at once.
	LastOpenMs float64 `json:"last_open_ms,omitempty"`
}

// WindowRate is Ops per second of the mean socket window: the aggregate
// throughput of sockets that ran side by side.
func (o Outcome) WindowRate() (float64, error) {
	if o.Sockets <= 0 || o.WindowMs <= 0 {
		return 0, fmt.Errorf("window rate: need sockets and a window, got %g sockets over %g ms", o.Sockets, o.WindowMs)
	}
	meanWindowSeconds := o.WindowMs / o.Sockets / 1000
	return o.Ops / meanWindowSeconds, nil
}

// Summary is the metrics part of a k6 --summary-export file: metric name to
// statistic name (count, rate, avg, p(95), ...) to value.
type Summary struct {
	Metrics map[string]map[string]float64
}

// ParseSummary reads a k6 --summary-export JSON document. Non-numeric
// entries, such as threshold results, are skipped.
func ParseSummary(r io.Reader) (Summary, error) {
	var doc struct {
		Metrics map[string]map[string]json.RawMessage `json:"metrics"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return Summary{}, fmt.Errorf("summary export: %w", err)
	}
	if doc.Metrics == nil {
		return Summary{}, errors.New("summary export: no \"metrics\" object")
	}
	s := Summary{Metrics: make(map[string]map[string]float64, len(doc.Metrics))}
	for name, stats := range doc.Metrics {
		values := make(map[string]float64, len(stats))
		for stat, raw := range stats {
			var v float64
			if json.Unmarshal(raw, &v) == nil {
				values[stat] = v
			}
		}
		s.Metrics[name] = values
	}
	return s, nil
}

// Value returns one statistic of one metric and whether it was present.
func (s Summary) Value(metric, stat string) (float64, bool) {
	v, ok := s.Metrics[metric][stat]
	return v, ok
}

// Count returns a counter's total, 0 when the metric was never emitted (k6
// leaves unobserved metrics out of the export).
func (s Summary) Count(metric string) float64 {
	v, _ := s.Value(metric, "count")
	return v
}

// Outcome collects the bench_* counters and the ws_connecting p(95).
func (s Summary) Outcome() Outcome {
	rate, _ := s.Value(MetricOps, "rate")
	p95, _ := s.Value(MetricConnecting, "p(95)")
	lastOpen, _ := s.Value(MetricOpenedAfter, "max")
	return Outcome{
		Ops:             s.Count(MetricOps),
		WindowMs:        s.Count(MetricWindowMs),
		Sockets:         s.Count(MetricSockets),
		Errors:          s.Count(MetricErrors),
		OpsRate:         rate,
		ConnectingP95Ms: p95,
		LastOpenMs:      lastOpen,
	}
}
