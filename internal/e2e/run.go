package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

const (
	// defaultTimeout is Options.Timeout when it is zero.
	defaultTimeout = 60 * time.Second
	// waitDelay bounds how long k6's output is still read once k6 exited
	// or was killed.
	waitDelay = 10 * time.Second
	// logTail is how much of each of k6's streams a failed test logs.
	logTail = 16 << 10
	// exitCannotStartRESTAPI is k6's exit code when its REST API cannot
	// listen on the address it was given.
	exitCannotStartRESTAPI = 106
	// restAPITries bounds the runs of a test whose REST API port was taken.
	restAPITries = 3
)

// Options is what RunK6 runs and how.
type Options struct {
	// Script is the path of the script, relative to the repository root
	// (such as "examples/echo.js") or absolute.
	Script string
	// Env is added to k6's environment, where scripts read it as __ENV.
	// A WS_URL here replaces the per-run echo server (none is started).
	Env map[string]string
	// Args are more `k6 run` arguments, placed before the script, such as
	// {"--vus", "10", "--duration", "2s"}.
	Args []string
	// Timeout is the hard bound of the run (60s when zero): past it, k6 is
	// killed and the test fails.
	Timeout time.Duration
	// Signal, if set, sends k6 a signal during the run.
	Signal *SignalAt
	// RESTAPI gives k6 its REST API on a port of its own (`--address`),
	// whose base URL the script reads as __ENV.XK6WS_PPROF. If another
	// process took the port before k6 bound it, k6 runs again on another.
	RESTAPI bool
}

// SignalAt sends a signal to k6 once a condition holds. Its conditions are
// awaited in this order, those left unset being skipped: When is closed,
// Output appears in k6's stdout or stderr, Delay passes. With none set the
// signal is sent as soon as k6 started. If k6 exits first, no signal is
// sent.
type SignalAt struct {
	// When is a channel the test closes, for example once the echo server
	// has seen a connection.
	When <-chan struct{}
	// Output is a string awaited in k6's stdout or stderr, for example
	// what the script prints with console.log (k6 logs it to stderr).
	Output string
	// Delay is waited after the other conditions.
	Delay time.Duration
	// Signal is the signal to send; SIGINT when zero.
	Signal syscall.Signal
}

// Run is the outcome of one k6 run.
type Run struct {
	// ExitCode is k6's exit status: 0 on success, 99 when a threshold
	// failed, 107 for a script exception, ...; -1 if a signal killed it.
	ExitCode int
	// Stdout and Stderr are all that k6 wrote there. The end-of-test
	// summary goes to Stdout; console.log and k6's own logs to Stderr.
	Stdout, Stderr string
	// Summary is the end-of-test summary; empty when k6 wrote none (for
	// example when the script failed to load).
	Summary Summary
	// Points are the metric samples, in the order k6 wrote them.
	Points []Point
	// Duration is how long k6 ran.
	Duration time.Duration
	// PeakRSS is the largest resident set size k6 reached, in bytes (0
	// where it is not known: only Linux reports it).
	PeakRSS int64
	// Signaled reports whether Options.Signal's signal was sent.
	Signaled bool
	// Server is the echo server started for this run (its URL in WS_URL);
	// nil if Options.Env gave WS_URL. It is closed when the test ends.
	Server *echoserver.Server
}

// RunK6 runs `k6 run` on opts.Script and returns what k6 did. Unless
// opts.Env sets WS_URL, it first starts an echo server for this run and sets
// WS_URL to its base URL. A test fails (t.Fatal) if k6 cannot be started,
// does not end within the timeout (it is then killed), or leaves output that
// cannot be read; so RunK6 must be called from the test's goroutine. Any
// exit code is returned, not judged: assert it.
func RunK6(t *testing.T, opts Options) Run {
	t.Helper()
	if k6Binary == "" {
		t.Fatal("e2e: no k6 binary: the package's TestMain must call setup before the tests run")
	}
	timeout, err := checkOptions(opts)
	if err != nil {
		t.Fatalf("e2e.RunK6: %v", err)
	}
	script := opts.Script
	if !filepath.IsAbs(script) {
		script = filepath.Join(repoRoot, script)
	}
	for try := 1; ; try++ {
		run := runOnce(t, script, opts, timeout)
		if !opts.RESTAPI || run.ExitCode != exitCannotStartRESTAPI || try == restAPITries {
			return run
		}
		t.Logf("e2e: k6 could not start its REST API (its port was taken), run %d of %d: %s",
			try, restAPITries, tail(run.Stderr))
	}
}

// runOnce is one k6 run of RunK6.
func runOnce(t *testing.T, script string, opts Options, timeout time.Duration) Run {
	t.Helper()
	var run Run
	env := make(map[string]string, len(opts.Env)+2)
	for k, v := range opts.Env {
		env[k] = v
	}
	if _, ok := env["WS_URL"]; !ok {
		run.Server = StartEchoServer(t, echoserver.Options{})
		env["WS_URL"] = run.Server.URL()
	}
	var apiArgs []string
	if opts.RESTAPI {
		addr, err := pickAPIAddress(t.Context())
		if err != nil {
			t.Fatalf("e2e: a port for k6's REST API: %v", err)
		}
		apiArgs = []string{"--address", addr}
		env["XK6WS_PPROF"] = "http://" + addr
	}

	dir := t.TempDir()
	files := runFiles{
		summary: filepath.Join(dir, "summary.json"),
		points:  filepath.Join(dir, "points.json"),
		config:  dir,
	}
	args := append([]string{
		"run", "--quiet", "--no-color", "--no-usage-report",
		"--summary-export", files.summary, "--out", "json=" + files.points,
	}, apiArgs...)
	args = append(args, opts.Args...)
	args = append(args, script)

	proc := execution{args: args, env: k6Env(env, files.config), timeout: timeout, signal: opts.Signal}
	proc.start(t)
	if err := proc.wait(&run); err != nil {
		t.Fatalf("e2e: %v", err)
	}
	files.read(t, &run)
	return run
}

// RunK6Script is RunK6 on a script given as source: it is written to a file
// of the test's temporary directory (so it can import other files only by
// absolute path or URL). opts.Script must be empty.
func RunK6Script(t *testing.T, source string, opts Options) Run {
	t.Helper()
	if opts.Script != "" {
		t.Fatalf("e2e.RunK6Script: Options.Script must be empty (the script is the source given), got %q", opts.Script)
	}
	path := filepath.Join(t.TempDir(), "script.js")
	if err := os.WriteFile(path, []byte(source), 0o600); err != nil {
		t.Fatalf("e2e.RunK6Script: writing the script: %v", err)
	}
	opts.Script = path
	return RunK6(t, opts)
}

// StartEchoServer starts an echo server with opts for the test and closes
// it when the test ends. Its base URL is srv.URL().
func StartEchoServer(t *testing.T, opts echoserver.Options) *echoserver.Server {
	t.Helper()
	srv, err := echoserver.Start(opts)
	if err != nil {
		t.Fatalf("e2e: starting the echo server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("e2e: closing the echo server: %v", err)
		}
	})
	return srv
}

// checkOptions validates opts and returns the run's timeout.
func checkOptions(opts Options) (time.Duration, error) {
	if opts.Script == "" {
		return 0, errors.New("no script: set Options.Script to a path relative to the repository root")
	}
	switch {
	case opts.Timeout < 0:
		return 0, errors.New("negative Options.Timeout: give a positive duration, or zero for 60s")
	case opts.Timeout == 0:
		return defaultTimeout, nil
	default:
		return opts.Timeout, nil
	}
}

// k6Env is k6's environment: the test's, less anything that would make runs
// depend on the machine (K6_* settings, proxies, a WS_URL), with automatic
// extension resolution off and k6's configuration directory in configDir,
// plus extra.
func k6Env(extra map[string]string, configDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !inheritable(name) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"K6_AUTO_EXTENSION_RESOLUTION=false",
		"K6_BINARY_PROVISIONING=false",
		"XDG_CONFIG_HOME="+configDir,
	)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// inheritable reports whether k6 gets the test's environment variable name.
func inheritable(name string) bool {
	upper := strings.ToUpper(name)
	switch upper {
	case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "WS_URL", "XDG_CONFIG_HOME":
		return false
	}
	return !strings.HasPrefix(upper, "K6_")
}

// runFiles are the files k6 writes for one run.
type runFiles struct {
	summary, points, config string
}

// read parses the summary and samples k6 wrote into run. A missing file is
// no error: k6 writes none when the script does not load.
func (f runFiles) read(t *testing.T, run *Run) {
	t.Helper()
	data, err := os.ReadFile(f.summary)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		t.Fatalf("e2e: reading the k6 summary export: %v", err)
	default:
		if run.Summary, err = parseSummary(data); err != nil {
			t.Fatalf("e2e: %v\n%s", err, data)
		}
	}

	file, err := os.Open(f.points)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		t.Fatalf("e2e: opening the k6 JSON output: %v", err)
	default:
		defer func() { _ = file.Close() }()
		if run.Points, err = parsePoints(file); err != nil {
			t.Fatalf("e2e: %v", err)
		}
	}
}

// execution is one k6 process.
type execution struct {
	args    []string
	env     []string
	timeout time.Duration
	signal  *SignalAt

	ctx     context.Context //nolint:containedctx // the k6 process's lifetime, ended by wait
	cancel  context.CancelFunc
	cmd     *exec.Cmd
	out     *output
	started time.Time
	// signaled receives, once k6 ended, whether the signal was sent.
	signaled     chan bool
	stopSignaler chan struct{}
	// peakRSS receives, once stopRSS is closed, k6's peak resident set.
	peakRSS <-chan int64
	stopRSS chan struct{}
}

// start starts k6, its signaler if any, and the logging of its output if
// the test fails.
func (e *execution) start(t *testing.T) {
	t.Helper()
	e.ctx, e.cancel = context.WithTimeout(t.Context(), e.timeout)
	e.cmd = exec.CommandContext(e.ctx, k6Binary, e.args...)
	e.cmd.Dir = repoRoot
	e.cmd.Env = e.env
	e.cmd.WaitDelay = waitDelay
	want := ""
	if e.signal != nil {
		want = e.signal.Output
	}
	e.out = newOutput(want)
	e.cmd.Stdout = e.out.stdout()
	e.cmd.Stderr = e.out.stderr()
	t.Cleanup(func() { e.logIfFailed(t) })

	e.started = time.Now()
	if err := e.cmd.Start(); err != nil {
		e.cancel()
		t.Fatalf("e2e: starting k6: %v", err)
	}
	e.stopRSS = make(chan struct{})
	e.peakRSS = watchRSS(e.cmd.Process.Pid, e.stopRSS)
	e.signaled = make(chan bool, 1)
	e.stopSignaler = make(chan struct{})
	go func() {
		e.signaled <- e.signal != nil && e.signal.await(e.stopSignaler, e.out) &&
			e.cmd.Process.Signal(e.signal.sig()) == nil
	}()
}

// wait waits for k6 to end and records its exit code (-1 if it was killed),
// output and duration in run. It fails if k6 had to be killed at the
// timeout or could not be waited for.
func (e *execution) wait(run *Run) error {
	defer e.cancel()
	err := e.cmd.Wait()
	close(e.stopRSS)
	close(e.stopSignaler)
	run.Signaled = <-e.signaled
	run.Duration = time.Since(e.started)
	run.Stdout, run.Stderr = e.out.strings()
	run.ExitCode = e.cmd.ProcessState.ExitCode()
	run.PeakRSS = <-e.peakRSS

	if errors.Is(e.ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("k6 did not end within %s and was killed", e.timeout)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return fmt.Errorf("waiting for k6: %w", err)
	}
	return nil
}

// logIfFailed logs k6's command line and the end of its output when the
// test failed.
func (e *execution) logIfFailed(t *testing.T) {
	if !t.Failed() {
		return
	}
	stdout, stderr := e.out.strings()
	t.Logf("k6 %s\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(e.args, " "), tail(stdout), tail(stderr))
}

// tail is the end of s, at most logTail bytes.
func tail(s string) string {
	if len(s) <= logTail {
		return s
	}
	return "[...]" + s[len(s)-logTail:]
}

// await waits for the conditions of a; it returns false if quit is closed
// first.
func (a *SignalAt) await(quit <-chan struct{}, out *output) bool {
	if a.When != nil {
		select {
		case <-a.When:
		case <-quit:
			return false
		}
	}
	if a.Output != "" {
		select {
		case <-out.found:
		case <-quit:
			return false
		}
	}
	if a.Delay > 0 {
		timer := time.NewTimer(a.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-quit:
			return false
		}
	}
	return true
}

// sig is the signal to send.
func (a *SignalAt) sig() syscall.Signal {
	if a.Signal == 0 {
		return syscall.SIGINT
	}
	return a.Signal
}
