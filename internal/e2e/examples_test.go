package e2e

import (
	"bytes"
	"crypto/sha1" // RFC 6455 defines Sec-WebSocket-Accept with SHA-1
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleEnv is the environment of the examples that need one: demo.js is
// a 10-second load test by default.
var exampleEnv = map[string]map[string]string{
	"demo.js":  {"DURATION": "2s"},
	"trace.js": {"K6_WS_DEBUG": "full"},
}

// TestExamples runs every script in examples/ (any new one too) against its
// own echo server and checks that it succeeds: k6 exits with 0 (so every
// threshold held), or 99 with only upper bounds of a time failed (an
// example's latency target, which a busy machine may miss), no check failed, the script opened WebSockets and got
// messages, and the echo server saw exactly the sessions (less those it
// refused with an HTTP status) and messages that k6 reported.
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
	require.NotNil(t, run.Summary.Metrics, "k6 wrote no end-of-test summary")
	latency, others := run.Summary.FailedThresholds()
	require.Empty(t, others, "failed thresholds other than upper bounds of a time")
	if run.ExitCode == 99 && len(latency) > 0 {
		// An upper bound of a time is the example's statement of a target,
		// not of correctness: a busy machine may miss it.
		t.Logf("latency targets missed, as a busy machine may: %v", latency)
	} else {
		require.Equal(t, 0, run.ExitCode, "k6's exit code (99: a threshold failed, 107: a script error)")
	}

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
	// A handshake the server refused with an HTTP status was not a
	// connection of a WebSocket route.
	refused := SumPoints(run.Points, "ws_handshake_failed", func(tags map[string]string) bool {
		return tags["status"] != "" && tags["status"] != "0"
	})
	assert.InDelta(t, sessions-refused, float64(stats.Connections), 0,
		"connections the echo server accepted vs ws_sessions less those it refused")
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

// rejectedNegotiationScript connects with compression to a server whose 101
// answer gorilla/websocket rejects, with both APIs, and reports what the
// script sees: k6/ws's response, the recommended check, and the class's events.
const rejectedNegotiationScript = `
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { check } from "k6";

export const options = { iterations: 1 };

export default async function () {
  const res = ws.connect(__ENV.WS_URL, { compression: "deflate" }, () => {
    console.log("k6/ws: the callback ran");
  });
  console.log("k6/ws: status=" + res.status + " error=" + res.error);
  check(res, { "handshake succeeded": (r) => r && r.status === 101 && !r.error });

  const events = [];
  await new Promise((resolve) => {
    const socket = new WebSocket(__ENV.WS_URL, null, { compression: "deflate" });
    socket.onopen = () => events.push("open");
    socket.onerror = () => events.push("error");
    socket.onclose = (e) => {
      events.push("close " + e.code);
      resolve();
    };
  });
  console.log("class: " + events.join(","));
}
`

// TestHandshakeCheckCatchesARejectedNegotiation shows why the docs and the
// examples check a k6/ws handshake with status === 101 && !error: a server
// that accepts permessage-deflate without the no-context-takeover parameters
// answers 101, gorilla/websocket rejects the answer, and k6/ws reports
// status 101 with an error; the WebSocket class gives error and close 1006.
func TestHandshakeCheckCatchesARejectedNegotiation(t *testing.T) {
	t.Parallel()
	server := httptest.NewServer(http.HandlerFunc(answerDeflateWithContextTakeover))
	t.Cleanup(server.Close)

	run := RunK6Script(t, rejectedNegotiationScript, Options{
		Env: map[string]string{"WS_URL": "ws" + strings.TrimPrefix(server.URL, "http")},
	})

	require.Equal(t, 0, run.ExitCode, "k6's exit code; stderr:\n%s", run.Stderr)
	assert.Contains(t, run.Stderr, "k6/ws: status=101 error=websocket: invalid compression negotiation")
	assert.NotContains(t, run.Stderr, "k6/ws: the callback ran")
	assert.Contains(t, run.Stderr, "class: error,close 1006")
	checks := run.Summary.Checks()
	require.Len(t, checks, 1)
	assert.Equal(t, 0, checks[0].Passes, "the recommended check passed on a failed handshake")
	assert.Equal(t, 1, checks[0].Fails)
}

// answerDeflateWithContextTakeover upgrades the connection with a 101 that
// accepts permessage-deflate without no-context-takeover parameters, which
// gorilla/websocket's client refuses, then waits for the client to hang up.
func answerDeflateWithContextTakeover(w http.ResponseWriter, r *http.Request) {
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = conn.Close() }()
	_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
	if buf.Flush() != nil {
		return
	}
	_, _ = io.Copy(io.Discard, buf) // until the client closes the connection
}

// TestExamplesSayWhereTheyRun keeps every example usable on stock k6 or
// honest about it: it imports k6's own module names (never k6/x/...), and
// its header says either "Runs on stock k6 v1.8.1 too." or "Needs xk6-ws:"
// followed by the additions it uses.
func TestExamplesSayWhereTheyRun(t *testing.T) {
	t.Parallel()
	scripts, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*.js"))
	require.NoError(t, err)
	require.NotEmpty(t, scripts)
	for _, script := range scripts {
		source, err := os.ReadFile(script)
		require.NoError(t, err)
		name := filepath.Base(script)
		assert.NotContains(t, string(source), `from "k6/x/`,
			"%s: import k6's module names (k6/ws, k6/websockets), so the script also runs on stock k6", name)
		header, _, _ := bytes.Cut(source, []byte("\nimport "))
		stock := bytes.Contains(header, []byte("// Runs on stock k6 v1.8.1 too."))
		needs := bytes.Contains(header, []byte("// Needs xk6-ws: "))
		assert.True(t, stock != needs,
			"%s: its header must say either \"Runs on stock k6 v1.8.1 too.\" or \"Needs xk6-ws: <additions>\"", name)
	}
}
