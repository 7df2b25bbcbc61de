//go:build unix

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

func idleRecord(pair int, client string, baseline bool, rssKB float64) *record {
	r := &record{Pair: pair, Scenario: "idle", API: "ws", Client: client, Baseline: baseline,
		Usage: benchkit.Usage{MaxRSSKB: rssKB}}
	if !baseline {
		r.Outcome.Sockets = 1000
	}
	return r
}

func TestCellForUsesSamePairBaselineAndSkipsFailures(t *testing.T) {
	t.Parallel()
	sc := newScenario(testConfig(t), "idle", "ws")
	failed := idleRecord(3, clientXK6, false, 1)
	failed.Error = "boom"
	records := []*record{
		idleRecord(1, clientXK6, true, 100_000), idleRecord(1, clientXK6, false, 130_000), // 30 KB
		idleRecord(1, clientStock, true, 100_000), idleRecord(1, clientStock, false, 190_000), // 90 KB
		idleRecord(2, clientXK6, true, 120_000), idleRecord(2, clientXK6, false, 140_000), // 20 KB
		idleRecord(3, clientXK6, true, 100_000), failed,
	}
	c := cellFor(records, sc, sc.figures[0], clientXK6)
	assert.Equal(t, benchkit.Cell{Value: 25, Min: 20, Max: 30, Runs: 2, Failed: 1}, c)
	s := cellFor(records, sc, sc.figures[0], clientStock)
	assert.Equal(t, benchkit.Cell{Value: 90, Min: 90, Max: 90, Runs: 1}, s)
	none := cellFor(records, sc, sc.figures[0], clientCeiling)
	assert.False(t, none.Valid())
}

func TestFailuresOnlyFailForOurRuns(t *testing.T) {
	t.Parallel()
	stockDown := &record{Client: clientStock, Error: "crashed"}
	require.NoError(t, failures([]*record{{Client: clientXK6}, stockDown}))
	require.ErrorContains(t, failures([]*record{{Client: clientCeiling, Error: "x"}, stockDown}), "1 xk6-ws or ceiling runs failed")
}

func TestWriteMarkdownReport(t *testing.T) {
	t.Parallel()
	sc := newScenario(testConfig(t), "idle", "ws")
	b := &bench{scenarios: []scenario{sc}}
	bad := idleRecord(2, clientStock, false, 1)
	bad.Error = "exit status 1"
	records := []*record{idleRecord(1, clientXK6, true, 100_000), idleRecord(1, clientXK6, false, 130_000), bad}
	records[1].Server = serverRecord{CPUSeconds: 0.5, WallSeconds: 2}
	records[1].OthersBusy = 0.42
	raw := rawReport{Machine: "m", Pinning: "p", Settings: []string{"pairs: 1"}, Rows: b.rows(records), Records: records}
	var out strings.Builder
	require.NoError(t, writeMarkdown(&out, raw))
	md := out.String()
	assert.Contains(t, md, "| idle (k6/ws) | peak RSS per socket above baseline (KB) ↓ | 30.0 | n/a (1 failed) | n/a | n/a | n/a | ≥ 2× ✗ |")
	assert.Contains(t, md, "| idle (k6/ws) | xk6-ws | 0.00 | 0.00 | 0.50 | 0.25 | 42% |")
	assert.Contains(t, md, "## Failed and void runs")
	assert.Contains(t, md, "pair 2, stock, baseline=false: exit status 1")
	assert.Contains(t, md, "- pairs: 1")
}

func TestOthersBusy(t *testing.T) {
	t.Parallel()
	// 2 CPUs for 10 s: 2000 jiffies, of which 500 idle, so 15 CPU s busy.
	before := cpuCounters{total: 10_000, idle: 4_000}
	after := cpuCounters{total: 12_000, idle: 4_500}
	assert.InDelta(t, 0.25, othersBusy(before, after, 10), 1e-9, "5 of the 20 CPU seconds were someone else's")
	assert.InDelta(t, 0.0, othersBusy(before, after, 16), 1e-9, "never below zero")
	assert.InDelta(t, 0.0, othersBusy(after, before, 0), 1e-9, "no time passed")
}

func TestParseCPULine(t *testing.T) {
	t.Parallel()
	c, ok := parseCPULine("cpu  100 5 50 800 40 3 2 0 0 0")
	require.True(t, ok)
	assert.Equal(t, cpuCounters{total: 1000, idle: 840}, c)
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2 x 4 5", "cpu 1 2"} {
		_, ok := parseCPULine(bad)
		assert.False(t, ok, "%q", bad)
	}
	assert.Equal(t, "25%", describeBusy(0.25, true))
	assert.Equal(t, "unknown", describeBusy(0, false))
}
