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
		"bench/large_ws.js", "bench/large_websockets.js", "bench/import_ws.js", "bench/import_websockets.js",
		"bench/scale_ws.js", "bench/scale_websockets.js", "bench/keep_websockets.js", "bench/keep_stream.js",
	}, scripts)
	root, err := findModuleRoot()
	require.NoError(t, err)
	for _, sc := range list {
		assert.FileExists(t, root+"/"+sc.script)
		if sc.baselineScript != "" {
			assert.FileExists(t, root+"/"+sc.baselineScript)
		}
		if sc.stockScript != "" {
			assert.FileExists(t, root+"/"+sc.stockScript)
		}
	}
}

func TestNewScenarioSizes(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	large := newScenario(cfg, "large", "websockets")
	assert.Equal(t, "1048576", large.env["BENCH_MSG_SIZE"])
	assert.Equal(t, "200", large.env["BENCH_ROUNDTRIPS"])
	assert.Equal(t, []string{"-mode", "echo", "-conns", "1", "-size", "1048576", "-binary", "-roundtrips", "200", "-write-buffer", "1048576"},
		large.ceilingArgs)
	assert.InDelta(t, 200.0, large.exactOps, 0)

	imp := newScenario(cfg, "import", "ws")
	assert.Equal(t, "1000", imp.env["BENCH_VUS"])
	assert.Equal(t, "bench/import_none.js", imp.baselineScript)
	assert.True(t, imp.noCeiling)

	cls := newScenario(cfg, "scale", "websockets")
	assert.Equal(t, "15", cls.env["BENCH_VUS"])
	assert.Equal(t, "1000", cls.env["BENCH_SOCKETS"])
	assert.Equal(t, "30", cls.env["BENCH_MESSAGES"])
	assert.Equal(t, "1000", cls.env["BENCH_INTERVAL_MS"])
	assert.Equal(t, 15000, cls.wantSockets)
	assert.InDelta(t, 450_000.0, cls.exactOps, 0)
	assert.True(t, cls.serverSent)
	assert.Contains(t, cls.ceilingArgs, "15000")
	ws := newScenario(cfg, "scale", "ws")
	assert.Equal(t, "2000", ws.env["BENCH_VUS"])
	assert.NotContains(t, ws.env, "BENCH_SOCKETS")
	assert.Equal(t, 2000, ws.wantSockets)
}

func TestClientsLeaveTheCeilingOutWhereNothingCompares(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	b := &bench{cfg: cfg}
	assert.Equal(t, []string{clientXK6, clientStock, clientCeiling}, b.clients(newScenario(cfg, "scale", "ws")))
	assert.Equal(t, []string{clientXK6, clientStock}, b.clients(newScenario(cfg, "import", "ws")))
	b.cfg.ceiling = false
	assert.Equal(t, []string{clientXK6, clientStock}, b.clients(newScenario(cfg, "echo", "ws")))
}

func TestK6ArgvUsesTheBaselineScript(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	b := &bench{cfg: cfg, bins: binaries{xk6: "/x/k6", stock: "/s/k6"}}
	imp := newScenario(cfg, "import", "websockets")
	run := b.k6Argv(imp, clientXK6, "ws://h", "/tmp/s.json", false)
	assert.Equal(t, "/x/k6", run[0])
	assert.Equal(t, cfg.root+"/bench/import_websockets.js", run[len(run)-1])
	base := b.k6Argv(imp, clientStock, "ws://h", "/tmp/s.json", true)
	assert.Equal(t, "/s/k6", base[0])
	assert.Equal(t, cfg.root+"/bench/import_none.js", base[len(base)-1])
	assert.Contains(t, base, "BENCH_BASELINE=1")
	idle := b.k6Argv(newScenario(cfg, "idle", "ws"), clientXK6, "ws://h", "/tmp/s.json", true)
	assert.Equal(t, cfg.root+"/bench/idle_ws.js", idle[len(idle)-1], "without a baseline script the same script runs")
}

func TestKeepScenarios(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig([]string{"-root", t.TempDir(), "-scenarios", "keep", "-apis", "ws",
		"-keep-vus", "4", "-keep-iterations", "50"}, noEnv)
	require.NoError(t, err)
	list := buildScenarios(cfg)
	require.Len(t, list, 2, "keep runs both variants whatever -apis says: both use k6/websockets")
	reconnect, stream := list[0], list[1]
	assert.Equal(t, "keep (k6/websockets, reconnecting)", reconnect.label())
	assert.Equal(t, "keep (stream kept per VU; stock: reconnecting)", stream.label())
	for _, sc := range list {
		assert.Equal(t, "4", sc.env["BENCH_VUS"], sc.label())
		assert.Equal(t, "50", sc.env["BENCH_ITERATIONS"], sc.label())
		assert.InDelta(t, 200.0, sc.exactOps, 0, sc.label())
		assert.True(t, sc.baseline, sc.label())
		assert.Equal(t, []string{clientXK6, clientStock}, (&bench{cfg: cfg}).clients(sc), sc.label())
	}

	b := &bench{cfg: cfg, bins: binaries{xk6: "/x/k6", stock: "/s/k6"}}
	script := func(sc scenario, client string, baseline bool) string {
		argv := b.k6Argv(sc, client, "ws://h", "/tmp/s.json", baseline)
		return argv[len(argv)-1]
	}
	assert.Equal(t, cfg.root+"/bench/keep_stream.js", script(stream, clientXK6, false))
	assert.Equal(t, cfg.root+"/bench/keep_stream.js", script(stream, clientXK6, true))
	assert.Equal(t, cfg.root+"/bench/keep_websockets.js", script(stream, clientStock, false),
		"stock has no WebSocketStream: it reconnects")
	assert.Equal(t, cfg.root+"/bench/keep_websockets.js", script(stream, clientStock, true))
	assert.Equal(t, cfg.root+"/bench/keep_websockets.js", script(reconnect, clientXK6, false))
}

func TestKeepCheckVoidsRunsWithAMissingAnswer(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.keepVUs, cfg.keepIterations = 10, 100
	for _, sc := range keepScenarios(cfg) {
		require.NoError(t, sc.check(&record{Outcome: benchkit.Outcome{Ops: 1000}}), sc.label())
		require.ErrorContains(t, sc.check(&record{Outcome: benchkit.Outcome{Ops: 999}}),
			"void: counted 999 round trips or messages, want exactly 1000", sc.label())
		require.ErrorContains(t, sc.check(&record{Outcome: benchkit.Outcome{Ops: 999, Errors: 1}}),
			"1 sockets or sessions failed", sc.label())
		require.NoError(t, sc.check(&record{Baseline: true}), "a baseline answers nothing")
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

func TestScaleCheckVoidsRunsWhoseCountsDoNotMatch(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.scaleVUs, cfg.scaleSockets, cfg.scaleMessages = 2, 10, 3 // 20 sockets, 60 messages
	sc := newScenario(cfg, "scale", "websockets")
	run := func(ops float64, sent any) *record {
		r := &record{Outcome: benchkit.Outcome{Ops: ops, Sockets: 20, WindowMs: 1}}
		if sent != nil {
			r.Server.Stats = map[string]any{"MessagesSent": sent}
		}
		return r
	}
	cases := []struct {
		name string
		rec  *record
		want string
	}{
		{"both sides agree", run(60, 60.0), ""},
		{"the client missed one", run(59, 60.0), "void: counted 59"},
		{"the server sent one more", run(60, 61.0), "void: the server sent 61 messages, the client counted 60"},
		{"no server count", run(60, nil), "void: the server reported no MessagesSent"},
	}
	for _, c := range cases {
		err := sc.check(c.rec)
		if c.want == "" {
			require.NoError(t, err, c.name)
		} else {
			require.ErrorContains(t, err, c.want, c.name)
		}
	}
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

	large := &record{
		Usage:   benchkit.Usage{CPUSeconds: 2},
		Outcome: benchkit.Outcome{Ops: 200, WindowMs: 4000, Sockets: 1},
	}
	var got []float64
	for _, f := range newScenario(cfg, "large", "ws").figures {
		v, err := f.value(large, nil)
		require.NoError(t, err, f.name)
		got = append(got, v)
	}
	assert.Equal(t, []float64{50, 10}, got) // 200 MiB in 4 s; 2000 ms CPU for 200 MiB

	imp := newScenario(cfg, "import", "ws").figures
	heavy := &record{Usage: benchkit.Usage{MaxRSSKB: 150 * 1024}}
	light := &record{Usage: benchkit.Usage{MaxRSSKB: 140 * 1024}}
	v, err := imp[0].value(heavy, light)
	require.NoError(t, err)
	assert.InDelta(t, 150.0, v, 1e-9)
	v, err = imp[1].value(heavy, light)
	require.NoError(t, err)
	assert.InDelta(t, 10.24, v, 1e-9, "10 MiB over 1000 VUs")

	scale := &record{
		Usage:   benchkit.Usage{CPUSeconds: 5, MaxRSSKB: 400 * 1024},
		Outcome: benchkit.Outcome{Ops: 450_000, Sockets: 15_000, LastOpenMs: 4500},
	}
	scaleBase := &record{Usage: benchkit.Usage{CPUSeconds: 0.5, MaxRSSKB: 100 * 1024}}
	got = nil
	for _, f := range newScenario(cfg, "scale", "websockets").figures {
		v, err := f.value(scale, scaleBase)
		require.NoError(t, err, f.name)
		got = append(got, v)
	}
	require.Len(t, got, 3)
	assert.InDelta(t, 300*1024/15000.0, got[0], 1e-9)
	assert.InDelta(t, 10.0, got[1], 1e-9) // 4.5 CPU s over 450k messages
	assert.InDelta(t, 4.5, got[2], 1e-9)
	assert.Equal(t, benchkit.Target{BelowXK6: 16}, newScenario(cfg, "scale", "websockets").figures[0].target)
	assert.Equal(t, benchkit.Target{MinRatio: 5}, newScenario(cfg, "flood", "ws").figures[0].target)
	assert.Equal(t, benchkit.Target{MinRatio: 8}, newScenario(cfg, "flood", "websockets").figures[0].target)
	assert.Equal(t, benchkit.Target{BelowXK6: 64}, newScenario(cfg, "flood", "ws").figures[1].target)
	assert.Equal(t, benchkit.Target{MinOfCeiling: 0.85}, newScenario(cfg, "echo", "ws").figures[0].target)
	assert.Equal(t, benchkit.Target{}, newScenario(cfg, "scale", "ws").figures[0].target)

	keep := &record{Usage: benchkit.Usage{CPUSeconds: 1.5}, Outcome: benchkit.Outcome{Ops: 10_000, OpsRate: 4000}}
	keepBase := &record{Usage: benchkit.Usage{CPUSeconds: 0.5}}
	got = nil
	for _, f := range keepScenarios(cfg)[1].figures {
		v, err := f.value(keep, keepBase)
		require.NoError(t, err, f.name)
		got = append(got, v)
	}
	assert.Equal(t, []float64{4000, 100}, got) // 1 CPU s above baseline over 10k iterations

	idle := newScenario(cfg, "idle", "ws").figures[0]
	_, err = idle.value(run, nil)
	require.ErrorContains(t, err, "no baseline")
	_, err = newScenario(cfg, "churn", "ws").figures[1].value(&record{}, nil)
	require.ErrorContains(t, err, "ws_connecting p95 was not measured")
}
