//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

// rawReport is the JSON written under .bench/: everything needed to redo the
// table or to look at a single run.
type rawReport struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Settings []string  `json:"settings"`
	Machine  string    `json:"machine"`
	Pinning  string    `json:"pinning"`
	// OpenFiles is the open-file limit the clients and servers ran with.
	OpenFiles string         `json:"open_files"`
	Busy      string         `json:"machine_busy"`
	XK6       string         `json:"xk6_binary"`
	Stock     string         `json:"stock_binary"`
	Rows      []benchkit.Row `json:"rows"`
	Records   []*record      `json:"records"`
}

// report prints the table, writes results.md and the raw JSON, and fails
// when an xk6-ws or ceiling run failed (a failing stock run is a result).
func (b *bench) report(records []*record) error {
	rows := b.rows(records)
	if err := benchkit.WriteText(os.Stdout, rows); err != nil {
		return err
	}
	fmt.Println("\n" + ratioNote)
	raw := rawReport{
		Started: b.started, Finished: time.Now(), Settings: b.cfg.describe(), Machine: machine(),
		Pinning: b.pinNote, OpenFiles: b.openFiles, Busy: fmt.Sprintf("%s before the first run, %s after the last", b.busyAtStart, describeBusy(machineBusy())), XK6: b.bins.xk6 + " (" + b.bins.xk6Version + ")",
		Stock: b.bins.stock + " (" + b.bins.stockVersion + ")", Rows: rows, Records: records,
	}
	if err := b.writeRaw(raw); err != nil {
		return err
	}
	if err := writeFile(b.cfg.out, func(w io.Writer) error { return writeMarkdown(w, raw) }); err != nil {
		return err
	}
	fmt.Printf("results: %s\nraw runs: %s\n", b.cfg.out, filepath.Join(b.runDir, "runs.json"))
	return failures(records)
}

const ratioNote = "ratio: xk6/stock for ↑ figures (higher is better), stock/xk6 for ↓ figures (lower is better): " +
	"above 1 always favours xk6-ws. Medians over the pairs; ceiling = plain Go client, no JavaScript."

// rows computes one table row per scenario figure.
func (b *bench) rows(records []*record) []benchkit.Row {
	var rows []benchkit.Row
	for i := range b.scenarios {
		sc := &b.scenarios[i]
		for _, f := range sc.figures {
			rows = append(rows, benchkit.Row{
				Scenario: sc.label(), Figure: f.name, Unit: f.unit, HigherIsBetter: f.higherIsBetter,
				Target:  f.target,
				XK6:     cellFor(records, *sc, f, clientXK6),
				Stock:   cellFor(records, *sc, f, clientStock),
				Ceiling: cellFor(records, *sc, f, clientCeiling),
			})
		}
	}
	return rows
}

// cellFor takes the median of one figure over one client's runs.
func cellFor(records []*record, sc scenario, f figure, client string) benchkit.Cell {
	var values []float64
	failed := 0
	for _, rec := range runsOf(records, sc, client, false) {
		base := baselineOf(records, rec)
		if !rec.ok() || (sc.baseline && (base == nil || !base.ok())) {
			failed++
			continue
		}
		v, err := f.value(rec, base)
		if err != nil {
			failed++
			continue
		}
		values = append(values, v)
	}
	return benchkit.NewCell(values, failed)
}

// runsOf selects one client's runs (or baseline runs) of a scenario.
func runsOf(records []*record, sc scenario, client string, baseline bool) []*record {
	var out []*record
	for _, r := range records {
		if r.Scenario == sc.name && r.API == sc.api && r.Client == client && r.Baseline == baseline {
			out = append(out, r)
		}
	}
	return out
}

// baselineOf finds the baseline run of the same scenario, client and pair.
func baselineOf(records []*record, rec *record) *record {
	for _, r := range records {
		if r.Baseline && r.Scenario == rec.Scenario && r.API == rec.API && r.Client == rec.Client && r.Pair == rec.Pair {
			return r
		}
	}
	return nil
}

// failures lists failed runs on stderr and fails if any was not stock's.
func failures(records []*record) error {
	var ours int
	for _, r := range records {
		if r.ok() {
			continue
		}
		fmt.Fprintf(os.Stderr, "failed: %s %s pair %d %s baseline=%t: %s\n", r.Scenario, r.API, r.Pair, r.Client, r.Baseline, r.Error)
		if r.Client != clientStock {
			ours++
		}
	}
	if ours > 0 {
		return fmt.Errorf("%d xk6-ws or ceiling runs failed (listed above)", ours)
	}
	return nil
}

func (b *bench) writeRaw(raw rawReport) error {
	data, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return fmt.Errorf("encode raw runs: %w", err)
	}
	for _, path := range []string{filepath.Join(b.runDir, "runs.json"), filepath.Join(b.cfg.rawDir, "latest.json")} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("write raw runs: %w", err)
		}
	}
	return nil
}

// writeFile creates path and lets fill write it.
func writeFile(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	w := bufio.NewWriter(f)
	err = errors.Join(fill(w), w.Flush(), f.Close())
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// machine describes the host for the report.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(value)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s/%s, %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// busySampleTime is how long machineBusy watches the CPUs.
const busySampleTime = time.Second

// machineBusy measures, over busySampleTime, the share of all CPUs' time spent
// not idle, from /proc/stat; ok is false where that file does not exist. Taken
// while benchrun runs nothing, it is the load other processes put on the
// machine.
func machineBusy() (share float64, ok bool) {
	before, ok := cpuTimes()
	if !ok {
		return 0, false
	}
	time.Sleep(busySampleTime) // a measurement window, not synchronisation
	after, ok := cpuTimes()
	if !ok || after.total <= before.total {
		return 0, false
	}
	total := after.total - before.total
	idle := after.idle - before.idle
	return float64(total-idle) / float64(total), true
}

// cpuCounters are the summed jiffies of the "cpu" line of /proc/stat.
type cpuCounters struct{ total, idle uint64 }

func cpuTimes() (cpuCounters, bool) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuCounters{}, false
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return parseCPULine(line)
}

// parseCPULine reads "cpu user nice system idle iowait irq softirq steal ...";
// idle and iowait count as idle.
func parseCPULine(line string) (cpuCounters, bool) {
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return cpuCounters{}, false
	}
	var c cpuCounters
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return cpuCounters{}, false
		}
		c.total += v
		if i == 3 || i == 4 {
			c.idle += v
		}
	}
	return c, true
}

// othersBusy is the share of all CPUs' time, between two /proc/stat
// samples, that was busy but not spent by the run's own processes (ownCPU
// seconds): the load other processes put on the machine during the run. The
// "cpu" line sums all CPUs, in USER_HZ: 100 per second on Linux.
func othersBusy(before, after cpuCounters, ownCPU float64) float64 {
	const userHZ = 100
	if after.total <= before.total {
		return 0
	}
	total := float64(after.total-before.total) / userHZ
	busy := total - float64(after.idle-before.idle)/userHZ
	return max(0, (busy-ownCPU)/total)
}

// describeBusy renders a machineBusy sample for the report.
func describeBusy(share float64, ok bool) string {
	if !ok {
		return "unknown"
	}
	return fmt.Sprintf("%.0f%%", 100*share)
}

// describe lists the effective settings of the selected scenarios for the
// report.
func (c config) describe() []string {
	perScenario := map[string]string{
		"echo":  fmt.Sprintf("echo: %d VUs, one socket each, %s window, %d-byte text messages", c.echoVUs, c.echoDuration, c.msgSize),
		"churn": fmt.Sprintf("churn: %d VUs for %s, %d-byte echo per session", c.churnVUs, c.churnDuration, c.msgSize),
		"flood": fmt.Sprintf("flood: 1 socket, %d-byte text messages pushed back to back, window %s or until all %d are in",
			c.floodSize, c.floodDuration, c.floodCount),
		"idle": fmt.Sprintf("idle: WebSocket class %d sockets in 1 VU, k6/ws %d VUs with one socket each, held %s",
			c.idleSockets, c.idleVUs, c.idleHold),
		"large": fmt.Sprintf("large: 1 socket, %d sequential round trips of a %d-byte binary message", c.largeRoundTrips, c.largeSize),
		"import": fmt.Sprintf("import: %d VUs that import the module and sleep %s, against the same VUs without the import",
			c.importVUs, c.importHold),
		"scale": fmt.Sprintf("scale: WebSocket class %d VUs × %d sockets, k6/ws %d VUs with one socket each; "+
			"%d messages of %d bytes pushed to every socket, %s apart", c.scaleVUs, c.scaleSockets, c.scaleWSVUs,
			c.scaleMessages, c.scaleSize, c.scaleInterval),
		"keep": fmt.Sprintf("keep: %d VUs × %d iterations of one %d-byte request/response on /echo: the WebSocket class "+
			"reconnecting every iteration, or one WebSocketStream per VU kept across iterations (stock k6 has none: "+
			"its side of that row reconnects); CPU per iteration above a baseline of the same iterations doing nothing",
			c.keepVUs, c.keepIterations, c.msgSize),
	}
	lines := []string{fmt.Sprintf("pairs: %d (xk6-ws, stock, ceiling in turn, a fresh server process for every run)", c.pairs)}
	for _, name := range c.scenarios {
		lines = append(lines, perScenario[name])
	}
	return append(lines, fmt.Sprintf("run timeout: %s; a client whose RSS passes %d MB is killed", c.runTimeout, c.maxRSSMB))
}
