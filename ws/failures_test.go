package ws_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

func TestRefusedHandshakeSaysItsErrorCodeAndStatus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var res = ws.connect(WS + "/status?code=429&body=slow", function() {});
		JSON.stringify({status: res.status, error_code: res.error_code})`)
	assert.JSONEq(t, `{"status": 429, "error_code": 1429}`, got)

	samples := h.Collected()
	failed := wstest.Of(samples, "ws_handshake_failed")
	require.Len(t, failed, 1)
	assert.InDelta(t, 1.0, failed[0].Value, 0)
	tags := tagsOf(t, samples, "ws_session_duration")
	assert.Equal(t, "1429", tags["error_code"])
	assert.Equal(t, "429", tags["status"])
	assert.Empty(t, wstest.Of(samples, "ws_session_failed"), "a session that never opened")
}

// A server that dribbles its answer until the handshake timeout cuts it:
// the response names the timeout and its param every time. (Its error_code
// is 1050, or 1211 on a machine so busy that the dial itself took the
// 100ms: errcode's tests tell those apart.)
func TestHandshakeTimeoutCuttingTheAnswerSaysSoEveryTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.set(t, "SLOW", wstest.DribblingListener(t, "HTTP/1.1 101 Switching Protocols\r\n", 20*time.Millisecond))
	got := h.runJSON(t, `
		var out = [];
		for (var i = 0; i < 10; i++) {
			var res = ws.connect(SLOW, {handshakeTimeout: "100ms"}, function() {});
			out.push({error: res.error, status: res.status});
		}
		JSON.stringify(out)`)
	var runs []struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	require.NoError(t, json.Unmarshal([]byte(got), &runs))
	require.Len(t, runs, 10)
	for i, run := range runs {
		assert.Contains(t, run.Error, "websocket handshake timed out after 100ms (handshakeTimeout)", i)
		assert.Zero(t, run.Status, i)
	}
}

func TestOpenedSessionIsNotAFailedHandshake(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var res = ws.connect(WS + "/echo", function(socket) { socket.close(); });
		JSON.stringify(res.error_code)`)
	assert.Equal(t, "0", got)
	samples := h.Collected()
	failed := wstest.Of(samples, "ws_handshake_failed")
	require.Len(t, failed, 1)
	assert.InDelta(t, 0.0, failed[0].Value, 0)
	_, hasCode := failed[0].Tags.Get("error_code")
	assert.False(t, hasCode)
	ended := wstest.Of(samples, "ws_session_failed")
	require.Len(t, ended, 1)
	assert.InDelta(t, 0.0, ended[0].Value, 0, "close() closes with 1001, as in k6")
	assert.Equal(t, "1001", ended[0].Tags.Map()["close_code"])
}

func TestSessionEndedAbnormallyCountsByCloseCode(t *testing.T) {
	t.Parallel()
	for route, code := range map[string]string{
		"/drop?mode=fin":   "1006",
		"/close?code=1011": "1011",
		"/big?size=2048":   "1009",
		"/close?code=1001": "1001",
	} {
		h := newHarness(t)
		h.set(t, "ROUTE", route)
		h.run(t, `ws.connect(WS + ROUTE, {maxMessageSize: 1024}, function(socket) { socket.on("error", function() {}); });`)
		ended := wstest.Of(h.Collected(), "ws_session_failed")
		require.Len(t, ended, 1, route)
		assert.Equal(t, code, ended[0].Tags.Map()["close_code"], route)
		assert.InDelta(t, map[bool]float64{true: 0, false: 1}[code == "1001"], ended[0].Value, 0, route)
	}
}

func TestCloseTimeoutIsAFailedSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.run(t, `ws.connect(WS + "/noclose", {closeTimeout: "100ms"}, function(socket) {
		socket.on("error", function() {});
		socket.on("open", function() { socket.close(1000); });
	});`)
	ended := wstest.Of(h.Collected(), "ws_session_failed")
	require.Len(t, ended, 1)
	assert.InDelta(t, 1.0, ended[0].Value, 0)
	assert.Equal(t, "1006", ended[0].Tags.Map()["close_code"], "no close frame came back")
}
