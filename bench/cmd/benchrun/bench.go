//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

// The three clients of every scenario, in run order.
const (
	clientXK6     = "xk6-ws"
	clientStock   = "stock"
	clientCeiling = "ceiling"
)

// busyWarning is the share of CPU time used by others that makes benchrun
// warn: on 2 CPUs, a fifth of one core.
const busyWarning = 0.1

// trendStats is --summary-trend-stats: what the export must hold.
const trendStats = "avg,min,med,max,p(90),p(95),count"

// record is one run, as written to the raw JSON.
type record struct {
	Pair        int              `json:"pair"`
	Scenario    string           `json:"scenario"`
	API         string           `json:"api"`
	Client      string           `json:"client"`
	Baseline    bool             `json:"baseline,omitempty"`
	Command     []string         `json:"command"`
	WallSeconds float64          `json:"wall_s"`
	Usage       benchkit.Usage   `json:"usage"`
	Outcome     benchkit.Outcome `json:"outcome"`
	Server      serverRecord     `json:"server"`
	// OthersBusy is the share of all CPUs' time that processes other than
	// this run's client and server used while it ran (see othersBusy).
	OthersBusy float64 `json:"others_busy"`
	Error      string  `json:"error,omitempty"`
	Log        string  `json:"log"`
}

// ok reports whether the run counts for the medians.
func (r *record) ok() bool {
	return r.Error == ""
}

// bench is one benchmark session.
type bench struct {
	cfg     config
	bins    binaries
	pin     pinning
	pinNote string
	// openFiles describes the open-file limit the children got.
	openFiles string
	// busyAtStart is how busy other processes kept the CPUs before the first run.
	busyAtStart string
	started     time.Time
	runDir      string
	scenarios   []scenario
}

func newBench(cfg config, bins binaries, openFiles string) (*bench, error) {
	b := &bench{cfg: cfg, bins: bins, openFiles: openFiles, started: time.Now(), scenarios: buildScenarios(cfg)}
	b.pin, b.pinNote = newPinning(cfg.pin)
	share, ok := machineBusy()
	b.busyAtStart = describeBusy(share, ok)
	if ok && share >= busyWarning {
		fmt.Fprintf(os.Stderr, "warning: other processes keep the CPUs %s busy: figures will be noisy\n", b.busyAtStart)
	}
	b.runDir = filepath.Join(cfg.rawDir, b.started.Format("20060102-150405"))
	if err := os.MkdirAll(b.runDir, 0o755); err != nil {
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	fmt.Fprintf(os.Stderr, "xk6-ws: %s (%s)\nstock:  %s (%s)\npinning: %s\nlogs: %s\n",
		bins.xk6, bins.xk6Version, bins.stock, bins.stockVersion, b.pinNote, b.runDir)
	return b, nil
}

// clients lists who runs a scenario, in the A B (C) order of a pair.
func (b *bench) clients(sc scenario) []string {
	if b.cfg.ceiling && !sc.noCeiling {
		return []string{clientXK6, clientStock, clientCeiling}
	}
	return []string{clientXK6, clientStock}
}

// runAll runs every scenario pairs times, alternating the clients.
func (b *bench) runAll(ctx context.Context) ([]*record, error) {
	var records []*record
	for i := range b.scenarios {
		sc := &b.scenarios[i]
		for pair := 1; pair <= b.cfg.pairs; pair++ {
			for _, client := range b.clients(*sc) {
				var base *record
				if sc.baseline {
					base = b.runOne(ctx, *sc, pair, client, true)
					records = append(records, base)
				}
				rec := b.runOne(ctx, *sc, pair, client, false)
				records = append(records, rec)
				b.progress(*sc, rec, base)
				if ctx.Err() != nil {
					return records, fmt.Errorf("interrupted: %w", ctx.Err())
				}
			}
		}
	}
	return records, nil
}

// runOne starts a fresh server, runs one client against it and stops it.
func (b *bench) runOne(ctx context.Context, sc scenario, pair int, client string, baseline bool) *record {
	rec := &record{Pair: pair, Scenario: sc.name, API: sc.api, Client: client, Baseline: baseline}
	name := fmt.Sprintf("%s-%s-p%d-%s", sc.name, sc.api, pair, client)
	if baseline {
		name += "-baseline"
	}
	rec.Log = filepath.Join(b.runDir, name+".log")
	before, sampled := cpuTimes()
	defer func() {
		if after, ok := cpuTimes(); ok && sampled {
			rec.OthersBusy = othersBusy(before, after, rec.Usage.CPUSeconds+rec.Server.CPUSeconds)
		}
	}()
	srv, err := startServer(ctx, b.pin.wrap(b.pin.serverCPUs, []string{b.bins.server}), filepath.Join(b.runDir, name+".server.log"))
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	runErr := b.runClient(ctx, sc, rec, srv.url, filepath.Join(b.runDir, name+".summary.json"))
	var stopErr error
	rec.Server, stopErr = srv.stop()
	if err := firstErr(runErr, stopErr); err != nil {
		rec.Error = err.Error()
		return rec
	}
	if err := sc.check(rec); err != nil {
		rec.Error = err.Error()
	}
	return rec
}

// runClient runs k6 or the ceiling and fills the record's usage and outcome.
func (b *bench) runClient(ctx context.Context, sc scenario, rec *record, url, summaryPath string) error {
	logFile, err := os.Create(rec.Log)
	if err != nil {
		return fmt.Errorf("client log: %w", err)
	}
	defer func() { _ = logFile.Close() }() // the child wrote it; nothing is buffered here
	var captured bytes.Buffer
	var stdout io.Writer = logFile
	if rec.Client == clientCeiling {
		rec.Command = b.ceilingArgv(sc, url, rec.Baseline)
		stdout = &captured
	} else {
		rec.Command = b.k6Argv(sc, rec.Client, url, summaryPath, rec.Baseline)
	}
	lim := limits{timeout: b.cfg.runTimeout, maxRSSKB: int64(b.cfg.maxRSSMB) * 1024}
	res, err := runProc(ctx, b.pin.wrap(b.pin.clientCPUs, rec.Command), lim, stdout, logFile)
	rec.WallSeconds, rec.Usage = res.wall.Seconds(), res.usage
	if err := firstErr(err, res.err); err != nil {
		return fmt.Errorf("%s (see %s): %w", rec.Client, rec.Log, err)
	}
	if rec.Client == clientCeiling {
		if err := json.Unmarshal(captured.Bytes(), &rec.Outcome); err != nil {
			return fmt.Errorf("ceiling outcome %q: %w", captured.String(), err)
		}
		return nil
	}
	return loadSummary(summaryPath, &rec.Outcome)
}

// k6Argv is the same command line for both k6 binaries.
func (b *bench) k6Argv(sc scenario, client, url, summaryPath string, baseline bool) []string {
	bin := b.bins.xk6
	if client == clientStock {
		bin = b.bins.stock
	}
	argv := []string{
		bin, "run", "--no-usage-report", "--quiet", "--no-color",
		"--summary-export=" + summaryPath, "--summary-trend-stats=" + trendStats,
		"-e", "BENCH_URL=" + url,
	}
	script := sc.script
	if client == clientStock && sc.stockScript != "" {
		script = sc.stockScript
	}
	if baseline {
		argv = append(argv, "-e", "BENCH_BASELINE=1")
		if sc.baselineScript != "" {
			script = sc.baselineScript
		}
	}
	for _, k := range slices.Sorted(maps.Keys(sc.env)) {
		argv = append(argv, "-e", k+"="+sc.env[k])
	}
	return append(argv, filepath.Join(b.cfg.root, script))
}

func (b *bench) ceilingArgv(sc scenario, url string, baseline bool) []string {
	argv := append([]string{b.bins.ceiling, "-url", url}, sc.ceilingArgs...)
	if baseline {
		argv = append(argv, "-baseline")
	}
	return argv
}

// loadSummary reads the bench_* counters from a k6 summary export.
func loadSummary(path string, out *benchkit.Outcome) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("summary export: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only
	s, err := benchkit.ParseSummary(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	*out = s.Outcome()
	return nil
}

// progress prints one line per run to stderr.
func (b *bench) progress(sc scenario, rec, base *record) {
	status := "ok"
	if !rec.ok() {
		status = "FAILED: " + rec.Error
	} else if base != nil && !base.ok() {
		status = "baseline FAILED: " + base.Error
	}
	var figs []string
	for _, f := range sc.figures {
		if v, err := f.value(rec, base); err == nil && rec.ok() {
			figs = append(figs, fmt.Sprintf("%s %s %s", f.name, benchkit.FormatNumber(v), f.unit))
		}
	}
	fmt.Fprintf(os.Stderr, "%-22s pair %d/%d %-8s %5.1fs cpu %.2fs server busy %3.0f%% others %3.0f%%  %s  [%s]\n",
		sc.label(), rec.Pair, b.cfg.pairs, rec.Client, rec.WallSeconds, rec.Usage.CPUSeconds,
		100*rec.Server.Busy(), 100*rec.OthersBusy, strings.Join(figs, ", "), status)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
