//go:build unix

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

func testConfig(t *testing.T) config {
	t.Helper()
	cfg, err := parseConfig([]string{"-root", t.TempDir()}, noEnv)
	require.NoError(t, err)
	return cfg
}

func TestBuildScenariosCoversEveryScriptInOrder(t *testing.T) {
	t.Parallel()
	list := buildScenarios(testConfig(t))
	var scripts []string
	for _, sc := range list {
		scripts = append(scripts, sc.script)
		assert.NotEmpty(t, sc.figures, sc.label())
	}
	assert.Equal(t, []string{
		"bench/echo_ws.js", "bench/echo_websockets.js", "bench/churn_ws.js", "bench/churn_websockets.js",
		"bench/flood_ws.js", "bench/flood_websockets.js", "bench/idle_ws.js", "bench/idle_websockets.js",
	}, scripts)
	root, err := findModuleRoot()
	require.NoError(t, err)
	for _, s := range scripts {
		assert.FileExists(t, root+"/"+s)
	}
}

func TestIdleScenarioSizes(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	ws := newScenario(cfg, "idle", "ws")
	assert.Equal(t, "1000", ws.env["BENCH_VUS"])
	assert.Equal(t, 1000, ws.wantSockets)
	assert.True(t, ws.baseline)
	cls := newScenario(cfg, "idle", "websockets")
	assert.Equal(t, "5000", cls.env["BENCH_SOCKETS"])
	assert.Contains(t, cls.ceilingArgs, "5000")
	assert.Equal(t, "3000", cls.env["BENCH_HOLD_MS"])
}

func TestScenarioCheck(t *testing.T) {
	t.Parallel()
	echo := newScenario(testConfig(t), "echo", "ws")
	good := &record{Outcome: benchkit.Outcome{Ops: 10, Sockets: 10, WindowMs: 1}}
	require.NoError(t, echo.check(good))
	require.ErrorContains(t, echo.check(&record{Outcome: benchkit.Outcome{Ops: 10, Sockets: 9}}), "9 of 10 sockets")
	require.ErrorContains(t, echo.check(&record{Outcome: benchkit.Outcome{Ops: 10, Sockets: 10, Errors: 1}}), "1 sockets or sessions failed")
	require.ErrorContains(t, echo.check(&record{Outcome: benchkit.Outcome{Sockets: 10}}), "no round trip")
	require.NoError(t, echo.check(&record{Baseline: true}), "a baseline opens nothing")
}

func TestFigures(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	run := &record{
		Usage:   benchkit.Usage{CPUSeconds: 3, MaxRSSKB: 300 * 1024},
		Outcome: benchkit.Outcome{Ops: 200_000, WindowMs: 10 * 5000, Sockets: 10, OpsRate: 1234, ConnectingP95Ms: 2.5},
	}
	values := func(name string, base *record) []float64 {
		var out []float64
		for _, f := range newScenario(cfg, name, "ws").figures {
			v, err := f.value(run, base)
			require.NoError(t, err, f.name)
			out = append(out, v)
		}
		return out
	}
	assert.Equal(t, []float64{40_000, 1.5}, values("echo", nil)) // 200k in 5 s; 3 CPU s per 200k
	assert.Equal(t, []float64{1234, 2.5}, values("churn", nil))
	assert.Equal(t, []float64{40_000, 300}, values("flood", nil))
	base := &record{Usage: benchkit.Usage{MaxRSSKB: 100 * 1024}}
	assert.Equal(t, []float64{200 * 1024 / 10.0}, values("idle", base))

	idle := newScenario(cfg, "idle", "ws").figures[0]
	_, err := idle.value(run, nil)
	require.ErrorContains(t, err, "no baseline")
	_, err = newScenario(cfg, "churn", "ws").figures[1].value(&record{}, nil)
	require.ErrorContains(t, err, "ws_connecting p95 was not measured")
}
