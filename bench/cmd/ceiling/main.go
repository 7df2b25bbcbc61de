// Command ceiling is the benchmark's upper bound: a plain Go client on
// gorilla/websocket, with no JavaScript, that runs the same scenarios as the
// scripts in bench/ against the same server and prints a benchkit.Outcome as
// JSON on stdout. bench/cmd/benchrun runs it next to the two k6 binaries.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

// config is the parsed command line.
type config struct {
	mode        string
	url         string
	conns       int
	duration    time.Duration
	size        int
	sockets     int
	count       int
	hold        time.Duration
	openTimeout time.Duration
	baseline    bool
	binary      bool
	roundTrips  int
	interval    time.Duration
	writeBuffer int
}

// maxSize bounds -size: 64 MiB, the module's default read limit.
const maxSize = 64 << 20

// modes maps each -mode value to the scenario it runs.
var modes = map[string]func(context.Context, config) (benchkit.Outcome, error){
	"echo":  runEcho,
	"churn": runChurn,
	"flood": runFlood,
	"idle":  runIdle,
	"scale": runScale,
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.limit())
	defer cancel()
	outcome, err := modes[cfg.mode](ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.mode, err)
	}
	if err := json.NewEncoder(out).Encode(outcome); err != nil {
		return fmt.Errorf("write outcome: %w", err)
	}
	return nil
}

// limit bounds the whole run: the scenario's own time plus a generous margin.
func (c config) limit() time.Duration {
	return c.duration + c.hold + c.openTimeout + c.pushSpan() + time.Minute
}

// pushSpan is how long the server takes to push -count messages -interval
// apart in scale mode.
func (c config) pushSpan() time.Duration {
	if c.mode != "scale" {
		return 0
	}
	return time.Duration(c.count) * c.interval
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	fs.StringVar(&cfg.mode, "mode", "", "scenario: echo, churn, flood, idle or scale")
	fs.StringVar(&cfg.url, "url", "", "server base URL, e.g. ws://127.0.0.1:8080")
	fs.IntVar(&cfg.conns, "conns", 10, "echo/churn: concurrent connections")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "echo/churn/flood: measured window")
	fs.IntVar(&cfg.size, "size", 32, "echo/churn/flood/scale: message size in bytes")
	fs.BoolVar(&cfg.binary, "binary", false, "echo: send binary messages instead of text")
	fs.IntVar(&cfg.roundTrips, "roundtrips", 0, "echo: stop each connection after this many round trips (0: after -duration)")
	fs.IntVar(&cfg.writeBuffer, "write-buffer", 0, "echo: client write buffer in bytes, the largest frame "+
		"a message is cut into (0: gorilla's default, 4096)")
	fs.IntVar(&cfg.count, "count", 1_000_000, "flood: messages the server pushes, the window ends early once all are in; "+
		"scale: messages pushed to every socket")
	fs.IntVar(&cfg.sockets, "sockets", 5000, "idle/scale: sockets to hold")
	fs.DurationVar(&cfg.interval, "interval", time.Second, "scale: time between two messages to a socket")
	fs.DurationVar(&cfg.hold, "hold", 3*time.Second, "idle: how long to hold the sockets once all are open")
	fs.DurationVar(&cfg.openTimeout, "open-timeout", time.Minute, "idle/scale: how long opening all sockets may take")
	fs.BoolVar(&cfg.baseline, "baseline", false, "idle/scale: open no socket, only wait")
	if err := fs.Parse(args); err != nil {
		return config{}, fmt.Errorf("parse flags: %w", err)
	}
	return cfg, cfg.validate()
}

func (c config) validate() error {
	var problems []string
	if _, ok := modes[c.mode]; !ok {
		problems = append(problems, fmt.Sprintf("-mode must be one of echo, churn, flood, idle, scale, got %q", c.mode))
	}
	if !strings.HasPrefix(c.url, "ws://") {
		problems = append(problems, fmt.Sprintf("-url must be a ws:// base URL, got %q", c.url))
	}
	if c.conns < 1 {
		problems = append(problems, fmt.Sprintf("-conns must be at least 1, got %d", c.conns))
	}
	if c.duration <= 0 || c.hold <= 0 || c.openTimeout <= 0 || c.interval <= 0 {
		problems = append(problems, "-duration, -hold, -open-timeout and -interval must be positive")
	}
	if c.size < 1 || c.size > maxSize {
		problems = append(problems, fmt.Sprintf("-size must be between 1 and %d bytes, got %d", maxSize, c.size))
	}
	if c.writeBuffer < 0 {
		problems = append(problems, fmt.Sprintf("-write-buffer must not be negative, got %d", c.writeBuffer))
	}
	if c.roundTrips < 0 {
		problems = append(problems, fmt.Sprintf("-roundtrips must not be negative, got %d", c.roundTrips))
	}
	if c.count < 1 {
		problems = append(problems, fmt.Sprintf("-count must be at least 1, got %d", c.count))
	}
	if c.sockets < 0 {
		problems = append(problems, fmt.Sprintf("-sockets must not be negative, got %d", c.sockets))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// endpoint joins the base URL and a path with its query.
func (c config) endpoint(pathAndQuery string) string {
	return strings.TrimRight(c.url, "/") + pathAndQuery
}
