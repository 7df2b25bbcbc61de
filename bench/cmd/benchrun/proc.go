//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

// pinning places the server and the clients on separate CPUs with taskset.
type pinning struct {
	taskset    string
	serverCPUs string
	clientCPUs string
}

// newPinning enables pinning when asked, taskset exists and there are at
// least two CPUs: the server gets CPU 0, the clients all the others.
func newPinning(want bool) (pinning, string) {
	if !want {
		return pinning{}, "off (-pin=false): server and clients share all CPUs"
	}
	n := runtime.NumCPU()
	if n < 2 {
		return pinning{}, "off: only one CPU"
	}
	path, err := exec.LookPath("taskset")
	if err != nil {
		return pinning{}, "off: taskset (util-linux) not found"
	}
	clients := "1"
	if n > 2 {
		clients = "1-" + strconv.Itoa(n-1)
	}
	p := pinning{taskset: path, serverCPUs: "0", clientCPUs: clients}
	return p, fmt.Sprintf("server on CPU %s, k6 and the ceiling on CPU %s (taskset)", p.serverCPUs, p.clientCPUs)
}

// wrap prefixes argv with taskset for cpus; taskset execs the program, so
// the process and its rusage are the program's own.
func (p pinning) wrap(cpus string, argv []string) []string {
	if p.taskset == "" {
		return argv
	}
	return append([]string{p.taskset, "-c", cpus}, argv...)
}

// procResult is how a finished client process went.
type procResult struct {
	wall  time.Duration
	usage benchkit.Usage
	err   error
}

// limits bound one client run.
type limits struct {
	timeout time.Duration
	// maxRSSKB kills the process once its resident set passes it; 0: no limit.
	maxRSSKB int64
}

// runProc runs argv to completion within its limits, stdout and stderr going
// to the given writers, and returns its wall time and rusage. A non-zero
// exit or a passed limit is reported in procResult.err, not as the
// function's error.
func runProc(ctx context.Context, argv []string, lim limits, stdout, stderr io.Writer) (procResult, error) {
	timeout := lim.timeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return procResult{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	exited := make(chan struct{})
	overLimit := make(chan bool, 1)
	go func() {
		overLimit <- watchRSS(cmd.Process, lim.maxRSSKB, exited)
	}()
	runErr := cmd.Wait()
	close(exited)
	res := procResult{wall: time.Since(start), err: runErr}
	switch {
	case <-overLimit:
		res.err = fmt.Errorf("killed: RSS passed the limit of %d MB", lim.maxRSSKB/1024)
	case ctx.Err() != nil && runErr != nil:
		res.err = fmt.Errorf("killed after %s: %w", timeout, ctx.Err())
	}
	usage, err := benchkit.UsageOf(cmd.ProcessState)
	if err != nil {
		return res, fmt.Errorf("%s: %w", argv[0], err)
	}
	res.usage = usage
	return res, nil
}

// rssPollInterval is how often watchRSS looks at the process.
const rssPollInterval = 100 * time.Millisecond

// watchRSS kills p once its resident set passes limitKB, and says whether it
// did; it returns when exited closes. Without a limit or without /proc it
// only waits.
func watchRSS(p *os.Process, limitKB int64, exited <-chan struct{}) bool {
	if limitKB <= 0 {
		return false
	}
	statm := fmt.Sprintf("/proc/%d/statm", p.Pid)
	page := int64(os.Getpagesize())
	tick := time.NewTicker(rssPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			return false
		case <-tick.C:
		}
		data, err := os.ReadFile(statm)
		if err != nil {
			<-exited
			return false
		}
		fields := strings.Fields(string(data))
		if len(fields) < 2 {
			continue
		}
		pages, err := strconv.ParseInt(fields[1], 10, 64)
		if err == nil && pages*page/1024 > limitKB {
			_ = p.Kill() // fails only if it just exited
			return true
		}
	}
}

// serverRecord is what the server process did during one run.
type serverRecord struct {
	CPUSeconds  float64        `json:"cpu_s"`
	WallSeconds float64        `json:"wall_s"`
	MaxRSSKB    float64        `json:"max_rss_kb"`
	Stats       map[string]any `json:"stats,omitempty"`
}

// Busy is the server's CPU time over its lifetime: 1.0 is one core saturated.
func (s serverRecord) Busy() float64 {
	if s.WallSeconds <= 0 {
		return 0
	}
	return s.CPUSeconds / s.WallSeconds
}

// server is a running benchserver process.
type server struct {
	cmd     *exec.Cmd
	url     string
	started time.Time
	out     *lineCapture
	done    chan error
	log     *os.File
}

// serverStartTimeout bounds how long the server may take to print its URL.
const serverStartTimeout = 10 * time.Second

// startServer starts benchserver and waits for its URL.
func startServer(ctx context.Context, argv []string, logPath string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	s := &server{out: newLineCapture(), done: make(chan error, 1), log: logFile}
	s.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	s.cmd.Stdout = s.out
	s.cmd.Stderr = logFile
	s.cmd.WaitDelay = 5 * time.Second
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	timer := time.NewTimer(serverStartTimeout)
	defer timer.Stop()
	select {
	case s.url = <-s.out.first:
		return s, nil
	case err := <-s.done:
		_ = logFile.Close()
		return nil, fmt.Errorf("server exited before printing its URL (see %s): %w", logPath, err)
	case <-timer.C:
		_, _ = s.stop()
		return nil, fmt.Errorf("server printed no URL within %s (see %s)", serverStartTimeout, logPath)
	}
}

// stop sends SIGTERM, waits a bounded time (then kills) and returns the
// server's usage and final counters.
func (s *server) stop() (serverRecord, error) {
	defer func() { _ = s.log.Close() }()      // the child wrote it; nothing is buffered here
	_ = s.cmd.Process.Signal(syscall.SIGTERM) // fails only if it already exited
	timer := time.NewTimer(15 * time.Second)
	defer timer.Stop()
	var waitErr error
	select {
	case waitErr = <-s.done:
	case <-timer.C:
		_ = s.cmd.Process.Kill()
		waitErr = errors.Join(errors.New("server ignored SIGTERM for 15s and was killed"), <-s.done)
	}
	rec := serverRecord{WallSeconds: time.Since(s.started).Seconds()}
	usage, err := benchkit.UsageOf(s.cmd.ProcessState)
	if err != nil {
		return rec, fmt.Errorf("server: %w", err)
	}
	rec.CPUSeconds, rec.MaxRSSKB = usage.CPUSeconds, usage.MaxRSSKB
	rec.Stats = s.out.lastJSON()
	if waitErr != nil {
		return rec, fmt.Errorf("server: %w", waitErr)
	}
	return rec, nil
}

// lineCapture keeps a process' stdout and hands its first line over.
type lineCapture struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sent  bool
	first chan string
}

func newLineCapture() *lineCapture {
	return &lineCapture{first: make(chan string, 1)}
}

// Write implements io.Writer.
func (c *lineCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if !c.sent {
		if line, _, ok := strings.Cut(c.buf.String(), "\n"); ok {
			c.sent = true
			c.first <- strings.TrimSpace(line)
		}
	}
	return len(p), nil
}

// lastJSON decodes the last line if it is a JSON object, else returns nil.
func (c *lineCapture) lastJSON() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(c.buf.String()), "\n")
	return decodeObject(lines[len(lines)-1])
}

// decodeObject parses a JSON object, or returns nil if line is not one.
func decodeObject(line string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(line), &m) != nil {
		return nil
	}
	return m
}

// raiseOpenFiles lifts benchrun's open-file limit (RLIMIT_NOFILE), which the
// clients and servers it starts inherit, to want: the hard limit too where
// the process may raise it, else the soft limit up to the hard one. It never
// lowers a limit, and returns the soft limit in force with a note for the
// report.
func raiseOpenFiles(want uint64) (uint64, string) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Sprintf("unknown (getrlimit: %v)", err)
	}
	if want > lim.Max {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}); err == nil {
			return want, fmt.Sprintf("%d (hard limit raised from %d)", want, lim.Max)
		}
	}
	// Setting the limit, even to what it already is, also keeps os/exec from
	// giving the children the soft limit the process started with (the Go
	// runtime raises its own at start-up).
	raised := syscall.Rlimit{Cur: max(lim.Cur, min(want, lim.Max)), Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		return lim.Cur, fmt.Sprintf("%d (could not raise it to %d: %v)", lim.Cur, want, err)
	}
	note := strconv.FormatUint(raised.Cur, 10)
	if raised.Cur < want {
		note += fmt.Sprintf(" (asked for %d; the hard limit is %d and may not be raised here)", want, lim.Max)
	}
	return raised.Cur, note
}
