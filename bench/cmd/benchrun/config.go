//go:build unix

package main

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// config is benchrun's settings; every flag can also come from the
// environment as BENCH_<FLAG> (dashes become underscores), e.g. BENCH_PAIRS=5.
type config struct {
	root       string
	k6         string
	stock      string
	pairs      int
	scenarios  []string
	apis       []string
	pin        bool
	ceiling    bool
	out        string
	rawDir     string
	runTimeout time.Duration

	echoVUs       int
	echoDuration  time.Duration
	msgSize       int
	churnVUs      int
	churnDuration time.Duration
	floodDuration time.Duration
	floodSize     int
	floodCount    int
	maxRSSMB      int
	idleSockets   int
	idleVUs       int
	idleHold      time.Duration

	largeSize       int
	largeRoundTrips int
	importVUs       int
	importHold      time.Duration
	scaleVUs        int
	scaleSockets    int
	scaleWSVUs      int
	scaleMessages   int
	scaleInterval   time.Duration
	scaleSize       int
	keepVUs         int
	keepIterations  int
	// openFiles is the open-file limit benchrun asks for its children;
	// raiseOpenFiles reports what it got.
	openFiles int
}

// Names of the scenarios and APIs, in table order.
var (
	allScenarios = []string{"echo", "churn", "flood", "idle", "large", "import", "scale", "keep"}
	allAPIs      = []string{"ws", "websockets"}
)

// maxLargeSize bounds -large-size: 64 MiB, the default read limit of the
// module's sockets.
const maxLargeSize = 64 << 20

func parseConfig(args []string, getenv func(string) string) (config, error) {
	var cfg config
	var scenarios, apis string
	var quick bool
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.StringVar(&cfg.root, "root", "", "repository root (default: the directory of the nearest go.mod)")
	fs.StringVar(&cfg.k6, "k6", "", "xk6-ws k6 binary to use instead of building ./k6")
	fs.StringVar(&cfg.stock, "stock", "bin/stock/k6", "stock k6 v1.8.1 binary; installed there when missing")
	fs.IntVar(&cfg.pairs, "pairs", 3, "xk6-ws/stock run pairs per scenario (at least 1; 3 or more for the results)")
	fs.StringVar(&scenarios, "scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios to run")
	fs.StringVar(&apis, "apis", strings.Join(allAPIs, ","), "comma-separated APIs to run: ws (k6/ws), websockets (k6/websockets)")
	fs.BoolVar(&cfg.pin, "pin", true, "pin the server to CPU 0 and the clients to the other CPUs with taskset")
	fs.BoolVar(&cfg.ceiling, "ceiling", true, "also run the plain Go ceiling client")
	fs.StringVar(&cfg.out, "out", "bench/results.md", "Markdown results file")
	fs.StringVar(&cfg.rawDir, "raw-dir", ".bench", "directory for raw runs, logs and helper binaries")
	fs.DurationVar(&cfg.runTimeout, "run-timeout", 3*time.Minute, "longest any single run may take before it is killed")
	fs.IntVar(&cfg.echoVUs, "echo-vus", 10, "echo: VUs, one socket each")
	fs.DurationVar(&cfg.echoDuration, "echo-duration", 5*time.Second, "echo: measured window per socket")
	fs.IntVar(&cfg.msgSize, "msg-size", 32, "echo and churn: message size in bytes")
	fs.IntVar(&cfg.churnVUs, "churn-vus", 10, "churn: VUs")
	fs.DurationVar(&cfg.churnDuration, "churn-duration", 5*time.Second, "churn: test duration")
	fs.DurationVar(&cfg.floodDuration, "flood-duration", 3*time.Second, "flood: measured window")
	fs.IntVar(&cfg.floodSize, "flood-size", 64, "flood: pushed message size in bytes")
	fs.IntVar(&cfg.floodCount, "flood-count", 1_000_000, "flood: messages the server pushes; the window ends early once all are in")
	fs.IntVar(&cfg.maxRSSMB, "max-rss", 8192, "kill any client whose RSS passes this many MB (protects the machine)")
	fs.IntVar(&cfg.idleSockets, "idle-sockets", 5000, "idle, WebSocket class: sockets held by the one VU")
	fs.IntVar(&cfg.idleVUs, "idle-vus", 1000, "idle, k6/ws: VUs holding one socket each")
	fs.DurationVar(&cfg.idleHold, "idle-hold", 3*time.Second, "idle: how long the sockets are held")
	fs.IntVar(&cfg.largeSize, "large-size", 1<<20, "large: binary message size in bytes")
	fs.IntVar(&cfg.largeRoundTrips, "large-roundtrips", 200, "large: sequential round trips on one socket")
	fs.IntVar(&cfg.importVUs, "import-vus", 1000, "import: VUs that import the module and sleep")
	fs.DurationVar(&cfg.importHold, "import-hold", 3*time.Second, "import: how long the VUs sleep")
	fs.IntVar(&cfg.scaleVUs, "scale-vus", 15, "scale, WebSocket class: VUs")
	fs.IntVar(&cfg.scaleSockets, "scale-sockets", 1000, "scale, WebSocket class: sockets per VU")
	fs.IntVar(&cfg.scaleWSVUs, "scale-ws-vus", 2000, "scale, k6/ws: VUs, one socket each")
	fs.IntVar(&cfg.scaleMessages, "scale-messages", 30, "scale: messages the server pushes to every socket")
	fs.DurationVar(&cfg.scaleInterval, "scale-interval", time.Second, "scale: time between two messages to a socket")
	fs.IntVar(&cfg.scaleSize, "scale-size", 16, "scale: pushed message size in bytes")
	fs.IntVar(&cfg.keepVUs, "keep-vus", 10, "keep: VUs doing request/response")
	fs.IntVar(&cfg.keepIterations, "keep-iterations", 1000, "keep: iterations per VU, one request/response each")
	fs.IntVar(&cfg.openFiles, "open-files", 20000, "open-file limit (RLIMIT_NOFILE) to ask for the clients and the server; "+
		"capped by the hard limit unless benchrun may raise it")
	fs.BoolVar(&quick, "quick", false, "smoke run: 1 pair, 1s windows, small idle, import and scale counts, "+
		"20 large round trips, 100 keep iterations per VU (overrides those flags)")
	if err := applyEnv(fs, getenv); err != nil {
		return config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return config{}, fmt.Errorf("parse flags: %w", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q: benchrun takes flags only", fs.Args())
	}
	var err error
	if cfg.scenarios, err = parseList("-scenarios", scenarios, allScenarios); err != nil {
		return config{}, err
	}
	if cfg.apis, err = parseList("-apis", apis, allAPIs); err != nil {
		return config{}, err
	}
	if quick {
		cfg.applyQuick()
	}
	if err := cfg.validate(); err != nil {
		return config{}, err
	}
	return cfg.resolvePaths()
}

// applyEnv sets every flag that has a BENCH_<FLAG> environment variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := "BENCH_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// parseList splits a comma-separated list and checks every item is allowed.
func parseList(flagName, value string, allowed []string) ([]string, error) {
	var items []string
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !slices.Contains(allowed, item) {
			return nil, fmt.Errorf("%s: unknown %q, allowed: %s", flagName, item, strings.Join(allowed, ", "))
		}
		if !slices.Contains(items, item) {
			items = append(items, item)
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: name at least one of %s", flagName, strings.Join(allowed, ", "))
	}
	return items, nil
}

func (c *config) applyQuick() {
	c.pairs = 1
	c.echoDuration = time.Second
	c.churnDuration = time.Second
	c.floodDuration = time.Second
	c.idleHold = time.Second
	c.idleSockets = 500
	c.idleVUs = 100
	c.largeRoundTrips = 20
	c.importVUs = 100
	c.importHold = time.Second
	c.scaleVUs = 2
	c.scaleSockets = 100
	c.scaleWSVUs = 100
	c.scaleMessages = 3
	c.scaleInterval = 200 * time.Millisecond
	c.keepIterations = 100
}

func (c config) validate() error {
	var problems []string
	positive := map[string]int{
		"-pairs": c.pairs, "-echo-vus": c.echoVUs, "-msg-size": c.msgSize, "-churn-vus": c.churnVUs,
		"-flood-size": c.floodSize, "-flood-count": c.floodCount, "-max-rss": c.maxRSSMB,
		"-idle-sockets": c.idleSockets, "-idle-vus": c.idleVUs,
		"-large-size": c.largeSize, "-large-roundtrips": c.largeRoundTrips, "-import-vus": c.importVUs,
		"-scale-vus": c.scaleVUs, "-scale-sockets": c.scaleSockets, "-scale-ws-vus": c.scaleWSVUs,
		"-scale-messages": c.scaleMessages, "-scale-size": c.scaleSize, "-open-files": c.openFiles,
		"-keep-vus": c.keepVUs, "-keep-iterations": c.keepIterations,
	}
	for _, name := range slices.Sorted(maps.Keys(positive)) {
		if positive[name] < 1 {
			problems = append(problems, fmt.Sprintf("%s must be at least 1, got %d", name, positive[name]))
		}
	}
	durations := map[string]time.Duration{
		"-echo-duration": c.echoDuration, "-churn-duration": c.churnDuration, "-flood-duration": c.floodDuration,
		"-idle-hold": c.idleHold, "-run-timeout": c.runTimeout, "-import-hold": c.importHold,
		"-scale-interval": c.scaleInterval,
	}
	for _, name := range slices.Sorted(maps.Keys(durations)) {
		if d := durations[name]; d < time.Millisecond {
			problems = append(problems, fmt.Sprintf("%s must be at least 1ms, got %s", name, d))
		}
	}
	if c.msgSize > 1<<20 || c.floodSize > 1<<20 || c.scaleSize > 1<<20 {
		problems = append(problems, "-msg-size, -flood-size and -scale-size must be at most 1048576 bytes")
	}
	if c.largeSize > maxLargeSize {
		problems = append(problems, fmt.Sprintf("-large-size must be at most %d bytes, got %d", maxLargeSize, c.largeSize))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// socketsNeeded is the most sockets one process opens in the selected scale
// scenarios, 0 when none is selected; the server holds as many.
func (c config) socketsNeeded() int {
	if !slices.Contains(c.scenarios, "scale") {
		return 0
	}
	need := 0
	if slices.Contains(c.apis, "websockets") {
		need = c.scaleVUs * c.scaleSockets
	}
	if slices.Contains(c.apis, "ws") {
		need = max(need, c.scaleWSVUs)
	}
	return need
}

// resolvePaths makes every path absolute, relative ones against the root.
func (c config) resolvePaths() (config, error) {
	if c.root == "" {
		root, err := findModuleRoot()
		if err != nil {
			return config{}, err
		}
		c.root = root
	}
	root, err := filepath.Abs(c.root)
	if err != nil {
		return config{}, fmt.Errorf("-root %q: %w", c.root, err)
	}
	c.root = root
	for _, p := range []*string{&c.k6, &c.stock, &c.out, &c.rawDir} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
	}
	return c, nil
}

// findModuleRoot walks up from the working directory to the nearest go.mod.
func findModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory; pass -root")
		}
		dir = parent
	}
}
