package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFailuresByCause runs examples/failures.js: per iteration one session
// that works, one refused with 429, one that times out in the handshake and
// one dropped once open. The thresholds on ws_handshake_failed and on its
// error_code tag hold, and the JSON output has each failed session's
// error_code and status.
func TestFailuresByCause(t *testing.T) {
	t.Parallel()
	run := RunK6(t, Options{Script: "examples/failures.js"})
	require.Equal(t, 0, run.ExitCode, "every threshold held")

	failed := run.Summary.Metric("ws_handshake_failed")
	require.NotNil(t, failed, "ws_handshake_failed is in the summary")
	assert.InDelta(t, 0.5, failed["value"], 0, "2 of the 4 handshakes of each iteration failed")
	for name, source := range map[string]string{
		"ws_handshake_failed":                  "rate<0.6",
		"ws_handshake_failed{error_code:1429}": "rate==1",
		"ws_handshake_failed{error_code:1050}": "rate==1",
		"ws_session_failed{close_code:1006}":   "rate==1",
	} {
		thresholds, err := run.Summary.Thresholds(name)
		require.NoError(t, err)
		require.Contains(t, thresholds, source, name)
		assert.False(t, thresholds[source], "%s %s failed", name, source)
	}

	// Every sample of a failed session carries its error_code and status.
	for _, metric := range []string{"ws_handshake_failed", "ws_sessions", "ws_connecting", "ws_session_duration"} {
		assert.Equal(t, 2, CountPoints(run.Points, metric, HasTags(map[string]string{"error_code": "1429", "status": "429"})),
			"%s samples of the refused sessions", metric)
		assert.Equal(t, 2, CountPoints(run.Points, metric, HasTags(map[string]string{"error_code": "1050", "status": "0"})),
			"%s samples of the timed-out sessions", metric)
	}
	assert.InDelta(t, 4, SumPoints(run.Points, "ws_handshake_failed", nil), 0, "failed handshakes")
	assert.Equal(t, 8, CountPoints(run.Points, "ws_handshake_failed", nil), "one sample per session")
	assert.InDelta(t, 2, SumPoints(run.Points, "ws_session_failed", HasTags(map[string]string{"close_code": "1006"})), 0,
		"dropped sessions")
	assert.Equal(t, 4, CountPoints(run.Points, "ws_session_failed", nil), "one sample per session that opened")
}

// A threshold on ws_handshake_failed fails the run when too many handshakes
// fail, as one on http_req_failed does.
func TestHandshakeFailedThresholdFailsTheRun(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, `
import ws from "k6/ws";
export const options = { iterations: 2, thresholds: { ws_handshake_failed: ["rate<0.01"] } };
export default function () {
  ws.connect(__ENV.WS_URL + "/status?code=503", () => {});
}`, Options{})
	assert.Equal(t, 99, run.ExitCode, "k6's exit code for a failed threshold")
	thresholds, err := run.Summary.Thresholds("ws_handshake_failed")
	require.NoError(t, err)
	assert.True(t, thresholds["rate<0.01"])
	assert.Equal(t, 2, CountPoints(run.Points, "ws_handshake_failed", HasTags(map[string]string{"error_code": "1503"})))
}

// K6_WS_DEBUG=full logs examples/trace.js's handshakes and frames; without
// it nothing is traced.
func TestTraceInK6sLog(t *testing.T) {
	t.Parallel()
	run := RunK6(t, Options{Script: "examples/trace.js", Env: map[string]string{"K6_WS_DEBUG": "full"}})
	require.Equal(t, 0, run.ExitCode)
	for _, want := range []string{
		"WebSocket handshake with ws://", "X-Trace-Me: k6/ws", "X-Trace-Me: k6/websockets",
		"HTTP/1.1 101 Switching Protocols", "source=ws-debug",
		`sent text frame, 15 bytes: \"traced by k6/ws\"`,
		`received binary frame, 4 bytes: \"\\x00\\x01\\x02\\x03\"`,
	} {
		assert.Contains(t, run.Stderr, want)
	}

	quiet := RunK6(t, Options{Script: "examples/trace.js"})
	require.Equal(t, 0, quiet.ExitCode)
	assert.NotContains(t, quiet.Stderr, "ws-debug")
	assert.False(t, strings.Contains(quiet.Stderr, "WebSocket handshake"), quiet.Stderr)
}
