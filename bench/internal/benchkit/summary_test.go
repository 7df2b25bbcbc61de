package benchkit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportDoc has the shape k6 v1.8.1 writes with --summary-export: counters
// with count and rate, trends with the --summary-trend-stats, rates with
// passes/fails/value, and threshold results as booleans.
const exportDoc = `{
  "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e", "groups": {}, "checks": {}},
  "metrics": {
    "bench_ops": {"count": 100668, "rate": 33228.72},
    "bench_window_ms": {"count": 30008, "rate": 9905.1},
    "bench_sockets": {"count": 10, "rate": 3.3},
    "bench_opened_after_ms": {"avg": 900, "min": 2, "med": 800, "max": 4100.5, "p(90)": 3000, "p(95)": 3500, "count": 10},
    "ws_connecting": {"avg": 9.8, "min": 4.5, "med": 8.8, "max": 28.2, "p(90)": 13.7, "p(95)": 20.98, "count": 10},
    "checks": {"passes": 3, "fails": 1, "value": 0.75},
    "ws_msgs_received": {"count": 100668, "rate": 33228.72, "thresholds": {"count>0": false}}
  }
}`

func TestParseSummary(t *testing.T) {
	t.Parallel()
	s, err := ParseSummary(strings.NewReader(exportDoc))
	require.NoError(t, err)

	p95, ok := s.Value("ws_connecting", "p(95)")
	require.True(t, ok)
	assert.InDelta(t, 20.98, p95, 1e-9)
	passes, ok := s.Value("checks", "passes")
	require.True(t, ok)
	assert.InDelta(t, 3.0, passes, 1e-9)
	_, ok = s.Value("ws_msgs_received", "thresholds")
	assert.False(t, ok, "threshold results are not numbers and must be skipped")
	_, ok = s.Value("nope", "count")
	assert.False(t, ok)
	assert.Zero(t, s.Count("bench_errors"), "an unobserved counter counts 0")
}

func TestSummaryOutcome(t *testing.T) {
	t.Parallel()
	s, err := ParseSummary(strings.NewReader(exportDoc))
	require.NoError(t, err)
	assert.Equal(t, Outcome{
		Ops: 100668, WindowMs: 30008, Sockets: 10, Errors: 0, OpsRate: 33228.72, ConnectingP95Ms: 20.98,
		LastOpenMs: 4100.5,
	}, s.Outcome())
}

func TestParseSummaryRejectsBadDocuments(t *testing.T) {
	t.Parallel()
	_, err := ParseSummary(strings.NewReader(`{"metrics": `))
	require.ErrorContains(t, err, "summary export")
	_, err = ParseSummary(strings.NewReader(`{"root_group": {}}`))
	require.ErrorContains(t, err, `no "metrics" object`)
	_, err = ParseSummary(strings.NewReader(`{"metrics": {"x": 1}}`))
	require.ErrorContains(t, err, "summary export")
}

func TestWindowRate(t *testing.T) {
	t.Parallel()
	// Two sockets side by side for ~2 s each did 10,000 round trips in all.
	o := Outcome{Ops: 10_000, WindowMs: 2000 + 2000, Sockets: 2}
	rate, err := o.WindowRate()
	require.NoError(t, err)
	assert.InDelta(t, 5000.0, rate, 1e-9)

	_, err = Outcome{Ops: 5}.WindowRate()
	require.ErrorContains(t, err, "need sockets and a window")
}
