package e2e

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleEnv is the environment of the examples that need one: demo.js is
// a 10-second load test by default.
var exampleEnv = map[string]map[string]string{ //nolint:gochecknoglobals // a constant table
	"demo.js": {"DURATION": "2s"},
}

// TestExamples runs every script in examples/ (any new one too) against its
// own echo server and checks that it succeeds: k6 exits with 0 (so every
// threshold held), no check failed, the script opened WebSockets and got
// messages, and the echo server saw exactly the sessions and messages that
// k6 reported.
func TestExamples(t *testing.T) {
	t.Parallel()
	scripts, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*.js"))
	require.NoError(t, err)
	require.NotEmpty(t, scripts, "no examples/*.js found under %s", repoRoot)

	for _, script := range scripts {
		name := filepath.Base(script)
		t.Run(strings.TrimSuffix(name, ".js"), func(t *testing.T) {
			t.Parallel()
			run := RunK6(t, Options{Script: filepath.Join("examples", name), Env: exampleEnv[name]})
			requireExampleSucceeded(t, run)
		})
	}
}

// requireExampleSucceeded asserts what every example must achieve.
func requireExampleSucceeded(t *testing.T, run Run) {
	t.Helper()
	require.Equal(t, 0, run.ExitCode, "k6's exit code (99: a threshold failed, 107: a script error)")
	require.NotNil(t, run.Summary.Metrics, "k6 wrote no end-of-test summary")

	checks := run.Summary.Metric("checks")
	require.NotNil(t, checks, "every example checks what it does, but no check ran")
	assert.Positive(t, checks["passes"], "passed checks")
	assert.Zero(t, checks["fails"], "failed checks")
	for _, c := range run.Summary.Checks() {
		assert.Zero(t, c.Fails, "check %q failed %d of %d times", c.Path, c.Fails, c.Passes+c.Fails)
	}

	sessions := run.Summary.Metric("ws_sessions")["count"]
	assert.Positive(t, sessions, "ws_sessions: the example opened no WebSocket")
	assert.Positive(t, run.Summary.Metric("ws_msgs_received")["count"], "ws_msgs_received: no message arrived")
	assert.InDelta(t, sessions, SumPoints(run.Points, "ws_sessions", nil), 0, "ws_sessions samples vs summary")

	stats := run.Server.Stats()
	assert.InDelta(t, sessions, float64(stats.Connections), 0, "connections the echo server accepted vs ws_sessions")
	assert.InDelta(t, SumPoints(run.Points, "ws_msgs_sent", nil), float64(stats.MessagesReceived), 0,
		"messages the echo server received vs ws_msgs_sent")
	assert.Zero(t, stats.OpenConnections, "connections still open on the echo server after k6 exited")
}

// TestDemoFailsAgainstAWrongServer runs examples/demo.js (what `make demo`
// runs) against a plain HTTP server that answers every request with 404, as
// another program on the demo's port would: no handshake succeeds, so the
// run must fail on the "handshake succeeded" threshold, not pass with no
// check run.
func TestDemoFailsAgainstAWrongServer(t *testing.T) {
	t.Parallel()
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)

	run := RunK6(t, Options{
		Script: filepath.Join("examples", "demo.js"),
		Env:    map[string]string{"WS_URL": "ws" + strings.TrimPrefix(notFound.URL, "http"), "DURATION": "1s"},
	})

	require.Equal(t, 99, run.ExitCode, "k6's exit code: 99 is a failed threshold; stderr:\n%s", run.Stderr)
	failed, err := run.Summary.Thresholds("checks{check:handshake succeeded}")
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"rate==1": true}, failed, "the handshake threshold must be the one that failed")
	handshakes := run.Summary.Metric("checks{check:handshake succeeded}")
	assert.Zero(t, handshakes["passes"], "handshakes counted as successful against a 404 server")
	assert.Positive(t, handshakes["fails"], "failed handshakes counted by the check")
	assert.Positive(t, run.Summary.Metric("ws_sessions")["count"], "ws_sessions: the demo tried no handshake")
}
