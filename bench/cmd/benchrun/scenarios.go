//go:build unix

package main

import (
	"errors"
	"fmt"
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
	// env holds the script's BENCH_* settings, passed with -e.
	env map[string]string
	// ceilingArgs run bench/cmd/ceiling like the script (minus -url).
	ceilingArgs []string
	// wantSockets, when above 0, is how many sockets must do their job.
	wantSockets int
	// wantOps requires at least one unit of work.
	wantOps bool
	// baseline adds a no-socket run before each run, for RSS deltas.
	baseline bool
	figures  []figure
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
	return fmt.Sprintf("%s (k6/%s)", sc.name, sc.api)
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
	return nil
}

// buildScenarios lists the selected scenarios in table order.
func buildScenarios(cfg config) []scenario {
	var list []scenario
	for _, name := range cfg.scenarios {
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
		sc.figures = floodFigures()
	case "idle":
		sockets, setting := cfg.idleSockets, "BENCH_SOCKETS"
		if api == "ws" {
			sockets, setting = cfg.idleVUs, "BENCH_VUS"
		}
		sc.env = env(setting, sockets, "BENCH_HOLD_MS", millis(cfg.idleHold))
		sc.ceilingArgs = args("-mode", "idle", "-sockets", sockets, "-hold", cfg.idleHold)
		sc.wantSockets, sc.baseline = sockets, true
		sc.figures = idleFigures()
	}
	return sc
}

func echoFigures() []figure {
	return []figure{
		{
			name: "round trips/s", unit: "1/s", higherIsBetter: true,
			target: benchkit.Target{MinRatio: 2},
			value:  func(r, _ *record) (float64, error) { return r.Outcome.WindowRate() },
		},
		{
			name: "CPU per 100k round trips", unit: "s",
			value: func(r, _ *record) (float64, error) { return perOps(r.Usage.CPUSeconds, r.Outcome.Ops, 100_000) },
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

func floodFigures() []figure {
	return []figure{
		{
			name: "msgs/s received", unit: "1/s", higherIsBetter: true,
			target: benchkit.Target{MinRatio: 3},
			value:  func(r, _ *record) (float64, error) { return r.Outcome.WindowRate() },
		},
		{
			name: "peak RSS", unit: "MB",
			target: benchkit.Target{BelowXK6: 100},
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
