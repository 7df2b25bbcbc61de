//go:build unix

package main

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

// scenario is one script on one API, with how to run the ceiling the same
// way and which figures to take from each run.
type scenario struct {
	name, api string
	// script is relative to the repository root.
	script string
	// stockScript, when set, is what stock k6 runs instead of script: the
	// nearest thing it can do where it lacks the API.
	stockScript string
	// env holds the script's BENCH_* settings, passed with -e.
	env map[string]string
	// ceilingArgs run bench/cmd/ceiling like the script (minus -url).
	ceilingArgs []string
	// wantSockets, when above 0, is how many sockets must do their job.
	wantSockets int
	// wantOps requires at least one unit of work.
	wantOps bool
	// exactOps, when above 0, is how many units of work the run must count:
	// every round trip or every pushed message, no more, no less.
	exactOps float64
	// serverSent requires the server to have sent exactly as many messages
	// as the client counted.
	serverSent bool
	// baseline adds a run before each run, for RSS and CPU deltas: the same
	// script with BENCH_BASELINE=1, or baselineScript when set.
	baseline       bool
	baselineScript string
	// noCeiling leaves the plain Go client out: nothing to compare with.
	noCeiling bool
	figures   []figure
}

// figure is one column-worthy number computed from a run.
type figure struct {
	name, unit     string
	higherIsBetter bool
	target         benchkit.Target
	value          func(run, baseline *record) (float64, error)
}

// label names the scenario in the table, e.g. "echo (k6/ws)".
func (sc scenario) label() string {
	return label(sc.name, sc.api)
}

// keepTitles name the keep scenario's two variants, by their api field.
var keepTitles = map[string]string{
	"websockets": "k6/websockets, reconnecting",
	"stream":     "stream kept per VU; stock: reconnecting",
}

// label names a scenario and API in the tables, e.g. "echo (k6/ws)".
func label(name, api string) string {
	if title, ok := keepTitles[api]; ok && name == "keep" {
		return fmt.Sprintf("%s (%s)", name, title)
	}
	return fmt.Sprintf("%s (k6/%s)", name, api)
}

// check decides whether a finished run counts.
func (sc scenario) check(rec *record) error {
	out := rec.Outcome
	if out.Errors > 0 {
		return fmt.Errorf("%g sockets or sessions failed", out.Errors)
	}
	if rec.Baseline {
		return nil
	}
	if sc.wantSockets > 0 && out.Sockets != float64(sc.wantSockets) {
		return fmt.Errorf("%g of %d sockets did their job", out.Sockets, sc.wantSockets)
	}
	if sc.wantOps && out.Ops <= 0 {
		return errors.New("no round trip, message or session completed")
	}
	if sc.exactOps > 0 && out.Ops != sc.exactOps {
		return fmt.Errorf("void: counted %g round trips or messages, want exactly %g", out.Ops, sc.exactOps)
	}
	if sc.serverSent {
		sent, ok := rec.Server.Stats["MessagesSent"].(float64)
		if !ok {
			return errors.New("void: the server reported no MessagesSent count")
		}
		if sent != out.Ops {
			return fmt.Errorf("void: the server sent %g messages, the client counted %g", sent, out.Ops)
		}
	}
	return nil
}

// buildScenarios lists the selected scenarios in table order.
func buildScenarios(cfg config) []scenario {
	var list []scenario
	for _, name := range cfg.scenarios {
		if name == "keep" {
			list = append(list, keepScenarios(cfg)...)
			continue
		}
		for _, api := range cfg.apis {
			list = append(list, newScenario(cfg, name, api))
		}
	}
	return list
}

func newScenario(cfg config, name, api string) scenario {
	sc := scenario{name: name, api: api, script: fmt.Sprintf("bench/%s_%s.js", name, api)}
	switch name {
	case "echo":
		sc.env = env("BENCH_VUS", cfg.echoVUs, "BENCH_DURATION_MS", millis(cfg.echoDuration), "BENCH_MSG_SIZE", cfg.msgSize)
		sc.ceilingArgs = args("-mode", "echo", "-conns", cfg.echoVUs, "-duration", cfg.echoDuration, "-size", cfg.msgSize)
		sc.wantSockets, sc.wantOps = cfg.echoVUs, true
		sc.figures = echoFigures()
	case "churn":
		sc.env = env("BENCH_VUS", cfg.churnVUs, "BENCH_DURATION_MS", millis(cfg.churnDuration), "BENCH_MSG_SIZE", cfg.msgSize)
		sc.ceilingArgs = args("-mode", "churn", "-conns", cfg.churnVUs, "-duration", cfg.churnDuration, "-size", cfg.msgSize)
		sc.wantOps = true
		sc.figures = churnFigures()
	case "flood":
		sc.env = env("BENCH_DURATION_MS", millis(cfg.floodDuration), "BENCH_MSG_SIZE", cfg.floodSize,
			"BENCH_FLOOD_COUNT", cfg.floodCount)
		sc.ceilingArgs = args("-mode", "flood", "-duration", cfg.floodDuration, "-size", cfg.floodSize,
			"-count", cfg.floodCount)
		sc.wantSockets, sc.wantOps = 1, true
		sc.figures = floodFigures(api)
	case "idle":
		sockets, setting := cfg.idleSockets, "BENCH_SOCKETS"
		if api == "ws" {
			sockets, setting = cfg.idleVUs, "BENCH_VUS"
		}
		sc.env = env(setting, sockets, "BENCH_HOLD_MS", millis(cfg.idleHold))
		sc.ceilingArgs = args("-mode", "idle", "-sockets", sockets, "-hold", cfg.idleHold)
		sc.wantSockets, sc.baseline = sockets, true
		sc.figures = idleFigures()
	case "large":
		sc.env = env("BENCH_MSG_SIZE", cfg.largeSize, "BENCH_ROUNDTRIPS", cfg.largeRoundTrips)
		// The ceiling writes each message as one frame, as xk6-ws does.
		sc.ceilingArgs = args("-mode", "echo", "-conns", 1, "-size", cfg.largeSize, "-binary",
			"-roundtrips", cfg.largeRoundTrips, "-write-buffer", cfg.largeSize)
		sc.wantSockets, sc.exactOps = 1, float64(cfg.largeRoundTrips)
		sc.figures = largeFigures(cfg.largeSize)
	case "import":
		sc.env = env("BENCH_VUS", cfg.importVUs, "BENCH_HOLD_MS", millis(cfg.importHold))
		sc.baseline, sc.baselineScript, sc.noCeiling = true, "bench/import_none.js", true
		sc.figures = importFigures(cfg.importVUs)
	case "scale":
		vus, sockets := cfg.scaleVUs, cfg.scaleVUs*cfg.scaleSockets
		sc.env = env("BENCH_VUS", vus, "BENCH_SOCKETS", cfg.scaleSockets)
		if api == "ws" {
			vus, sockets = cfg.scaleWSVUs, cfg.scaleWSVUs
			sc.env = env("BENCH_VUS", vus)
		}
		maps.Copy(sc.env, env("BENCH_MESSAGES", cfg.scaleMessages, "BENCH_INTERVAL_MS", millis(cfg.scaleInterval),
			"BENCH_MSG_SIZE", cfg.scaleSize))
		sc.ceilingArgs = args("-mode", "scale", "-sockets", sockets, "-count", cfg.scaleMessages,
			"-interval", cfg.scaleInterval, "-size", cfg.scaleSize)
		sc.wantSockets, sc.baseline, sc.serverSent = sockets, true, true
		sc.exactOps = float64(sockets * cfg.scaleMessages)
		sc.figures = scaleFigures(api)
	}
	return sc
}

// keepScenarios are issue 11's request/response comparison, both on the
// k6/websockets module whatever -apis says: the WebSocket class reconnecting
// every iteration, and one WebSocketStream per VU kept across iterations.
// Stock k6 has no WebSocketStream, so its side of the stream row is the
// reconnecting script.
func keepScenarios(cfg config) []scenario {
	reconnect := scenario{
		name: "keep", api: "websockets", script: "bench/keep_websockets.js",
		env:      env("BENCH_VUS", cfg.keepVUs, "BENCH_ITERATIONS", cfg.keepIterations, "BENCH_MSG_SIZE", cfg.msgSize),
		exactOps: float64(cfg.keepVUs * cfg.keepIterations), wantOps: true,
		baseline: true, noCeiling: true, figures: keepFigures(),
	}
	stream := reconnect
	stream.api = "stream"
	stream.script, stream.stockScript = "bench/keep_stream.js", "bench/keep_websockets.js"
	return []scenario{reconnect, stream}
}

func keepFigures() []figure {
	return []figure{
		{
			name: "iterations/s", unit: "1/s", higherIsBetter: true,
			value: func(r, _ *record) (float64, error) { return positive("iterations/s", r.Outcome.OpsRate) },
		},
		{
			name: "CPU per iteration above baseline", unit: "µs",
			value: func(r, base *record) (float64, error) {
				if base == nil {
					return 0, errors.New("no baseline run")
				}
				return perOps((r.Usage.CPUSeconds-base.Usage.CPUSeconds)*1e6, r.Outcome.Ops, 1)
			},
		},
	}
}

func echoFigures() []figure {
	return []figure{
		{
			name: "round trips/s", unit: "1/s", higherIsBetter: true,
			target: benchkit.Target{MinOfCeiling: 0.85},
			value:  func(r, _ *record) (float64, error) { return r.Outcome.WindowRate() },
		},
		{
			name: "CPU per 100k round trips", unit: "s",
			target: benchkit.Target{MinRatio: 2},
			value:  func(r, _ *record) (float64, error) { return perOps(r.Usage.CPUSeconds, r.Outcome.Ops, 100_000) },
		},
	}
}

func churnFigures() []figure {
	return []figure{
		{
			name: "sessions/s", unit: "1/s", higherIsBetter: true,
			target: benchkit.Target{MinRatio: 1.2},
			value:  func(r, _ *record) (float64, error) { return positive("sessions/s", r.Outcome.OpsRate) },
		},
		{
			name: "ws_connecting p95", unit: "ms",
			value: func(r, _ *record) (float64, error) {
				return positive("ws_connecting p95", r.Outcome.ConnectingP95Ms)
			},
		},
	}
}

// floodTargets are the flood's msgs/s targets against stock, per API.
var floodTargets = map[string]float64{"ws": 5, "websockets": 8}

func floodFigures(api string) []figure {
	return []figure{
		{
			name: "msgs/s received", unit: "1/s", higherIsBetter: true,
			target: benchkit.Target{MinRatio: floodTargets[api]},
			value:  func(r, _ *record) (float64, error) { return r.Outcome.WindowRate() },
		},
		{
			name: "peak RSS", unit: "MB",
			target: benchkit.Target{BelowXK6: 64},
			value:  func(r, _ *record) (float64, error) { return positive("peak RSS", r.Usage.MaxRSSMB()) },
		},
	}
}

func idleFigures() []figure {
	return []figure{{
		name: "peak RSS per socket above baseline", unit: "KB",
		target: benchkit.Target{MinRatio: 2},
		value: func(r, base *record) (float64, error) {
			if base == nil {
				return 0, errors.New("no baseline run")
			}
			return perOps(r.Usage.MaxRSSKB-base.Usage.MaxRSSKB, r.Outcome.Sockets, 1)
		},
	}}
}

// mebibyte is the unit of the large scenario's figures.
const mebibyte = 1 << 20

func largeFigures(size int) []figure {
	mib := float64(size) / mebibyte
	return []figure{
		{
			name: "echo throughput", unit: "MiB/s", higherIsBetter: true,
			target: benchkit.Target{MinRatio: 1.2, MinOfCeiling: 0.9},
			value: func(r, _ *record) (float64, error) {
				rate, err := r.Outcome.WindowRate()
				return rate * mib, err
			},
		},
		{
			name: "CPU per MiB echoed", unit: "ms",
			target: benchkit.Target{MinRatio: 1},
			value: func(r, _ *record) (float64, error) {
				return perOps(r.Usage.CPUSeconds*1000, r.Outcome.Ops*mib, 1)
			},
		},
	}
}

func importFigures(vus int) []figure {
	return []figure{
		{
			name: "peak RSS", unit: "MB",
			target: benchkit.Target{MinRatio: 1},
			value:  func(r, _ *record) (float64, error) { return positive("peak RSS", r.Usage.MaxRSSMB()) },
		},
		{
			name: "peak RSS per VU above no import", unit: "KB",
			value: func(r, base *record) (float64, error) {
				if base == nil {
					return 0, errors.New("no baseline run")
				}
				return (r.Usage.MaxRSSKB - base.Usage.MaxRSSKB) / float64(vus), nil
			},
		},
	}
}

func scaleFigures(api string) []figure {
	perSocket := figure{
		name: "peak RSS per socket above baseline", unit: "KB",
		value: func(r, base *record) (float64, error) {
			if base == nil {
				return 0, errors.New("no baseline run")
			}
			return perOps(r.Usage.MaxRSSKB-base.Usage.MaxRSSKB, r.Outcome.Sockets, 1)
		},
	}
	if api == "websockets" {
		perSocket.target = benchkit.Target{BelowXK6: 16}
	}
	return []figure{
		perSocket,
		{
			name: "CPU per message above baseline", unit: "µs",
			value: func(r, base *record) (float64, error) {
				if base == nil {
					return 0, errors.New("no baseline run")
				}
				return perOps((r.Usage.CPUSeconds-base.Usage.CPUSeconds)*1e6, r.Outcome.Ops, 1)
			},
		},
		{
			name: "last socket open after", unit: "s",
			value: func(r, _ *record) (float64, error) {
				return positive("last socket open", r.Outcome.LastOpenMs/1000)
			},
		},
	}
}

// perOps scales total to "per unit ops", e.g. CPU seconds per 100k round trips.
func perOps(total, ops, unit float64) (float64, error) {
	if ops <= 0 {
		return 0, errors.New("nothing was done to divide by")
	}
	return total / ops * unit, nil
}

func positive(name string, v float64) (float64, error) {
	if v <= 0 {
		return 0, fmt.Errorf("%s was not measured", name)
	}
	return v, nil
}

// env builds BENCH_* settings from name, value pairs.
func env(pairs ...any) map[string]string {
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[fmt.Sprint(pairs[i])] = fmt.Sprint(pairs[i+1])
	}
	return m
}

// args renders flag/value pairs as command-line words.
func args(words ...any) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = fmt.Sprint(w)
	}
	return out
}

func millis(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10)
}
