package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixtures in testdata are what stock k6 v1.8.1 wrote for a script with
// a root check, a group "chat" holding one k6/ws session of three echoed
// messages and two checks (one failing), sample metadata trace_id=abc, and
// two thresholds on ws_msgs_received, one crossed.

func TestParseSummary(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/summary-export.json")
	require.NoError(t, err)
	s, err := parseSummary(data)
	require.NoError(t, err)

	received := s.Metric("ws_msgs_received")
	assert.Len(t, received, 2, "only the numeric values, not the thresholds: %v", received)
	assert.InDelta(t, 3.0, received["count"], 0)
	assert.Greater(t, received["rate"], 0.0)
	assert.Equal(t, map[string]float64{"passes": 2, "fails": 1, "value": 2.0 / 3.0}, s.Metric("checks"))
	assert.Contains(t, s.Metric("ws_connecting"), "p(95)")
	assert.Nil(t, s.Metric("no_such_metric"))

	thresholds, err := s.Thresholds("ws_msgs_received")
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"count==3": false, "count>5": true}, thresholds)
	thresholds, err = s.Thresholds("ws_sessions")
	require.NoError(t, err)
	assert.Nil(t, thresholds)

	assert.Equal(t, []Check{
		{Name: "never true", Path: "::chat::never true", Passes: 0, Fails: 1},
		{Name: "status is 101", Path: "::chat::status is 101", Passes: 1, Fails: 0},
		{Name: "root check", Path: "::root check", Passes: 1, Fails: 0},
	}, s.Checks())
}

func TestParseSummaryRejectsBadJSON(t *testing.T) {
	t.Parallel()
	_, err := parseSummary([]byte(`{"metrics": [`))
	require.ErrorContains(t, err, "decoding the k6 summary export")

	s, err := parseSummary([]byte(`{"metrics": {"x": {"thresholds": {"count>1": "yes"}}}}`))
	require.NoError(t, err)
	_, err = s.Thresholds("x")
	require.ErrorContains(t, err, "thresholds of x")
}

func TestFailedThresholdsTellTimeBoundsApart(t *testing.T) {
	t.Parallel()
	s, err := parseSummary([]byte(`{"metrics": {
		"ws_connecting": {"thresholds": {"p(95)<500": true, "p(99.9) < 2000": false}},
		"rpc": {"thresholds": {"avg<100": true, "med<=50": true, "max<1000": true, "min>=20": true}},
		"checks": {"thresholds": {"rate>0.99": true, "rate==1": false}}
	}}`))
	require.NoError(t, err)
	timeBounds, others := s.FailedThresholds()
	assert.Equal(t, []string{"rpc: avg<100", "rpc: max<1000", "rpc: med<=50", "ws_connecting: p(95)<500"}, timeBounds)
	assert.Equal(t, []string{"checks: rate>0.99", "rpc: min>=20"}, others)
}

func TestParsePoints(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/out.json")
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	points, err := parsePoints(f)
	require.NoError(t, err)

	require.Len(t, points, 17, "the Point lines, not the Metric lines")
	first := points[0]
	assert.Equal(t, "checks", first.Metric)
	assert.Equal(t, "root check", first.Tags["check"])
	assert.Nil(t, first.Metadata)
	assert.Equal(t, time.Date(2026, 11, 23, 8, 41, 24, 892208467, time.UTC), first.Time.UTC())

	session := points[1]
	assert.Equal(t, "ws_sessions", session.Metric)
	assert.Equal(t, map[string]string{"trace_id": "abc"}, session.Metadata)
	assert.Equal(t, "101", session.Tags["status"])

	assert.InDelta(t, 3.0, SumPoints(points, "ws_msgs_sent", nil), 0)
	assert.Equal(t, 3, CountPoints(points, "ws_msgs_received", nil))
	assert.InDelta(t, 1.288966, SumPoints(points, "ws_connecting", nil), 1e-9)

	inChat := HasTags(map[string]string{"group": "::chat"})
	assert.Equal(t, 2, CountPoints(points, "checks", inChat))
	assert.InDelta(t, 1.0, SumPoints(points, "checks", inChat), 0, "one chat check passed, one failed")
	assert.Equal(t, 0, CountPoints(points, "ws_sessions", HasTags(map[string]string{"group": ""})))
	assert.Equal(t, 0, CountPoints(points, "ws_sessions", HasTags(map[string]string{"no_such_tag": ""})))
	assert.Equal(t, 0, CountPoints(points, "no_such_metric", nil))
}

func TestParsePointsRejectsBadLine(t *testing.T) {
	t.Parallel()
	lines := `{"type":"Point","metric":"a","data":{"value":1}}` + "\n\n" + `{"type":"Point",` + "\n"
	_, err := parsePoints(strings.NewReader(lines))
	require.ErrorContains(t, err, "line 3")
}

func TestOutputFindsStringAcrossWrites(t *testing.T) {
	t.Parallel()
	o := newOutput("ready")
	stdout, stderr := o.stdout(), o.stderr()

	_, err := stdout.Write([]byte("rea"))
	require.NoError(t, err)
	_, err = stderr.Write([]byte("level=info msg=\"rea"))
	require.NoError(t, err)
	requireOpen(t, o.found, "no stream holds the string yet")

	_, err = stdout.Write([]byte("l")) // "real" on stdout: still not it
	require.NoError(t, err)
	requireOpen(t, o.found, "stdout holds \"real\"")

	_, err = stderr.Write([]byte("dy\"\n"))
	require.NoError(t, err)
	requireClosed(t, o.found, "stderr now holds the string")

	_, err = stderr.Write([]byte("ready again\n")) // must not close found twice
	require.NoError(t, err)

	gotOut, gotErr := o.strings()
	assert.Equal(t, "real", gotOut)
	assert.Equal(t, "level=info msg=\"ready\"\nready again\n", gotErr)
}

func TestOutputWithoutStringNeverSignals(t *testing.T) {
	t.Parallel()
	o := newOutput("")
	_, err := o.stderr().Write([]byte("anything at all"))
	require.NoError(t, err)
	requireOpen(t, o.found, "nothing is awaited")
}

// TestSignalAtWaitsForEveryCondition calls await with quit already closed:
// it must report false while any condition is unmet. An await that skipped a
// condition would pick at random between it and quit, so the calls repeat.
func TestSignalAtWaitsForEveryCondition(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{})
	close(closed)
	open := make(chan struct{})
	found := newOutput("go")
	_, err := found.stderr().Write([]byte("go"))
	require.NoError(t, err)

	for range 64 {
		require.False(t, (&SignalAt{When: open, Output: "go"}).await(closed, found), "When is open")
		require.False(t, (&SignalAt{When: closed, Output: "go"}).await(closed, newOutput("go")), "no output yet")
		require.False(t, (&SignalAt{When: closed, Output: "go", Delay: time.Hour}).await(closed, found), "delay not over")
	}
	assert.True(t, (&SignalAt{When: closed, Output: "go", Delay: time.Millisecond}).await(open, found))
	assert.True(t, (&SignalAt{}).await(open, found), "no condition at all")
}

func TestSignalAtAwaitStopsOnQuit(t *testing.T) {
	t.Parallel()
	quit := make(chan struct{})
	at := &SignalAt{Output: "never written", Delay: time.Hour}
	done := make(chan bool, 1)
	go func() { done <- at.await(quit, newOutput(at.Output)) }()
	close(quit)
	select {
	case ok := <-done:
		assert.False(t, ok)
	case <-time.After(5 * time.Second):
		t.Fatal("await did not return after quit")
	}
	assert.Equal(t, syscall.SIGINT, at.sig())
	assert.Equal(t, syscall.SIGTERM, (&SignalAt{Signal: syscall.SIGTERM}).sig())
}

func TestK6EnvIsHermetic(t *testing.T) {
	t.Setenv("K6_VUS", "50")
	t.Setenv("k6_duration", "1h")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("no_proxy", "example.com")
	t.Setenv("WS_URL", "ws://127.0.0.1:1")
	t.Setenv("XK6WS_E2E_KEEP", "kept")

	env := k6Env(map[string]string{"K6_ITERATIONS": "2", "B": "2", "A": "1"}, "/tmp/cfg")

	assert.Contains(t, env, "XK6WS_E2E_KEEP=kept")
	for _, kv := range env {
		for _, dropped := range []string{"K6_VUS=", "k6_duration=", "HTTPS_PROXY=", "no_proxy=", "WS_URL="} {
			assert.False(t, strings.HasPrefix(kv, dropped), "%s reaches k6", kv)
		}
	}
	n := len(env)
	require.GreaterOrEqual(t, n, 6)
	assert.Equal(t, []string{
		"K6_AUTO_EXTENSION_RESOLUTION=false", "K6_BINARY_PROVISIONING=false", "XDG_CONFIG_HOME=/tmp/cfg",
		"A=1", "B=2", "K6_ITERATIONS=2",
	}, env[n-6:])
}

func TestCheckOptions(t *testing.T) {
	t.Parallel()
	_, err := checkOptions(Options{})
	require.ErrorContains(t, err, "Options.Script")
	_, err = checkOptions(Options{Script: "a.js", Timeout: -time.Second})
	require.ErrorContains(t, err, "Options.Timeout")
	timeout, err := checkOptions(Options{Script: "a.js"})
	require.NoError(t, err)
	assert.Equal(t, defaultTimeout, timeout)
	timeout, err = checkOptions(Options{Script: "a.js", Timeout: time.Second})
	require.NoError(t, err)
	assert.Equal(t, time.Second, timeout)
}

// TestRunK6SignalInterruptsRun runs a script that would last 30s, sends
// SIGINT once it printed "ready", and sees k6 end as interrupted.
func TestRunK6SignalInterruptsRun(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, `
		import { sleep } from 'k6';
		export const options = { vus: 1, duration: '30s' };
		export default function () {
			console.log('ready ' + __ENV.GREETING);
			sleep(30);
		}
	`, Options{Env: map[string]string{"GREETING": "hello"}, Signal: &SignalAt{Output: "ready hello"}})

	assert.True(t, run.Signaled)
	assert.Equal(t, 105, run.ExitCode, "k6's exit code for an external abort")
	assert.Contains(t, run.Stderr, "received a 'interrupt' signal")
	assert.Less(t, run.Duration, 25*time.Second)
	assert.Contains(t, run.Summary.Metrics, "data_sent", "the summary is written after an interrupt")
}

// TestRunK6ScriptErrorHasNoSummary runs a script that throws while loading.
func TestRunK6ScriptErrorHasNoSummary(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, `throw new Error('broken on purpose');`, Options{Env: map[string]string{"WS_URL": "ws://127.0.0.1:9"}})

	assert.Equal(t, 107, run.ExitCode, "k6's exit code for a script exception")
	assert.Contains(t, run.Stderr, "broken on purpose")
	assert.Nil(t, run.Summary.Metrics)
	assert.Empty(t, run.Points)
	assert.Nil(t, run.Server, "WS_URL was given, so no server was started")
	assert.False(t, run.Signaled)
}

// TestExecutionKillsK6AtTimeout runs a script that would last 30s with a 1s
// bound: k6 must be killed and the run reported as timed out.
func TestExecutionKillsK6AtTimeout(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "sleepy.js")
	require.NoError(t, os.WriteFile(script, []byte(`
		import { sleep } from 'k6';
		export const options = { vus: 1, duration: '30s' };
		export default function () {
			console.log('sleeping');
			sleep(30);
		}
	`), 0o600))
	proc := execution{
		args:    []string{"run", "--quiet", "--no-usage-report", script},
		env:     k6Env(nil, t.TempDir()),
		timeout: time.Second,
		signal:  &SignalAt{Output: "never printed"},
	}
	proc.start(t)
	var run Run
	err := proc.wait(&run)

	require.ErrorContains(t, err, "k6 did not end within 1s and was killed")
	assert.Equal(t, -1, run.ExitCode, "killed by a signal")
	assert.Contains(t, run.Stderr, "sleeping", "the output up to the kill is kept")
	assert.Less(t, run.Duration, 1*time.Second+waitDelay)
	assert.False(t, run.Signaled)
}

// requireOpen fails unless ch is still open.
func requireOpen(t *testing.T, ch <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("closed too early: %s", why)
	default:
	}
}

// requireClosed fails unless ch is closed.
func requireClosed(t *testing.T, ch <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-ch:
	default:
		t.Fatalf("not closed: %s", why)
	}
}

// TestPickAPIAddress: the REST API's ports lie below the ephemeral range,
// where no outgoing connection takes them, and none is handed out twice.
func TestPickAPIAddress(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 50 {
		addr, err := pickAPIAddress(t.Context())
		require.NoError(t, err)
		host, portText, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1", host)
		port, err := strconv.Atoi(portText)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, port, apiPortFloor)
		assert.Less(t, port, ephemeralLow(), "below the ephemeral ports")
		assert.False(t, seen[addr], "%s handed out twice", addr)
		seen[addr] = true
	}
}
