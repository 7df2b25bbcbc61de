package websockets

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// dribble is a 101 answer that a DribblingListener sends too slowly for
// the handshake timeouts of these tests.
const dribble = "HTTP/1.1 101 Switching Protocols\r\n"

func TestRefusedHandshakeErrorEventSaysErrorCodeAndStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/status?code=429");
	ws.onerror = (ev) => {
		eq(ev.error_code, 1429, "error_code");
		eq(ev.status, 429, "status");
		eq(Object.keys(ev).join(), "type,target,timestamp,error,error_code,status", "keys");
		globalThis.seen = true;
	};
	`)
	assert.Equal(t, true, e.get("seen"))
	samples := e.samples()
	failed := wstest.Of(samples, "ws_handshake_failed")
	require.Len(t, failed, 1)
	assert.InDelta(t, 1.0, failed[0].Value, 0)
	assert.Equal(t, "1429", tagsOf(t, samples, "ws_session_duration")["error_code"])
}

func TestHandshakeTimeoutCuttingTheAnswerSaysSoEveryTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("SLOW", wstest.DribblingListener(t, dribble, 20*time.Millisecond))
	e.mustRun(`
	globalThis.errors = 0;
	for (let i = 0; i < 10; i++) {
		const ws = new WebSocket(SLOW, null, {handshakeTimeout: "100ms"});
		ws.onerror = (ev) => {
			assert(ev.error.includes("websocket handshake timed out after 100ms (handshakeTimeout)"), ev.error);
			eq(ev.status, 0, "status");
			globalThis.errors++;
		};
	}
	`)
	assert.EqualValues(t, 10, e.get("errors"))
}

func TestStreamHandshakeFailureSaysErrorCodeAndStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("SLOW", wstest.DribblingListener(t, dribble, 20*time.Millisecond))
	e.mustRun(`(async () => {
		let refused;
		await new WebSocketStream(WS_URL + "/status?code=503").opened.catch((err) => { refused = err; });
		eq(refused.error_code, 1503, "error_code");
		eq(refused.status, 503, "status");
		for (let i = 0; i < 10; i++) {
			let timedOut;
			await new WebSocketStream(SLOW, {handshakeTimeout: "100ms"}).opened.catch((err) => { timedOut = err; });
			assert(timedOut.message.includes("websocket handshake timed out after 100ms (handshakeTimeout)"),
				timedOut.message);
			assert(timedOut.error_code > 0, "an error_code");
			eq(timedOut.status, 0, "status");
		}
		const opened = new WebSocketStream(WS_URL + "/echo");
		await opened.opened;
		opened.close();
		await opened.closed;
	})()`)
	samples := e.samples()
	byValue := map[float64]int{}
	for _, s := range wstest.Of(samples, "ws_handshake_failed") {
		byValue[s.Value]++
	}
	assert.Equal(t, map[float64]int{1: 11, 0: 1}, byValue)
	ended := wstest.Of(samples, "ws_session_failed")
	require.Len(t, ended, 1)
	assert.InDelta(t, 0.0, ended[0].Value, 0)
}

func TestDroppedSocketIsAFailedSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/drop?mode=fin");
	ws.onerror = () => {};
	`)
	ended := wstest.Of(e.samples(), "ws_session_failed")
	require.Len(t, ended, 1)
	assert.InDelta(t, 1.0, ended[0].Value, 0)
	assert.Equal(t, "1006", ended[0].Tags.Map()["close_code"])
}
