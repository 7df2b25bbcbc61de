package websockets

import (
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// The tests of this file check the WebSocket class against the WHATWG
// standard where it differs from stock k6.

// holdUntilGone returns a Go function for scripts that blocks the event
// loop until the connection of the WebSocket it is given is gone, so that
// everything the connection reports is queued when the script goes on.
func (e *env) holdUntilGone() func(sobek.Value) {
	return func(v sobek.Value) {
		select {
		case <-socketOf(e.t, e.rt, v).conn.Done():
		case <-time.After(10 * time.Second):
			e.t.Error("the connection did not end")
		}
	}
}

func TestErrorsHaveTheirStandardName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ what, fn, name string }{
		{"url scheme", `() => new WebSocket("ftp://127.0.0.1/")`, "SyntaxError"},
		{"url fragment", `() => new WebSocket(WS_URL + "/echo#x")`, "SyntaxError"},
		{"url malformed", `() => new WebSocket("ws://[::1")`, "SyntaxError"},
		{"url missing", `() => new WebSocket()`, "TypeError"},
		{"protocols", `() => new WebSocket(WS_URL + "/echo", ["a", "a"])`, "SyntaxError"},
		{"params", `() => new WebSocket(WS_URL + "/echo", null, {nope: 1})`, "TypeError"},
		{"without new", `() => WebSocket.call({}, WS_URL + "/echo")`, "TypeError"},
		{"send while connecting", `() => ws.send("x")`, "InvalidStateError"},
		{"ping while connecting", `() => ws.ping()`, "InvalidStateError"},
		{"send of a number", `() => ws.send(42)`, "TypeError"},
		{"close code", `() => ws.close(1001)`, "InvalidAccessError"},
		{"close reason", `() => ws.close(1000, "x".repeat(124))`, "SyntaxError"},
		{"not a WebSocket", `() => WebSocket.prototype.send.call({}, "x")`, "TypeError"},
		{"on handler", `() => { ws.onopen = 3; }`, "TypeError"},
		{"listener", `() => ws.addEventListener("open", 3)`, "TypeError"},
		{"Blob without new", `() => Blob.call({}, [])`, "TypeError"},
		{"Blob parts", `() => new Blob(3)`, "TypeError"},
		{"Blob options", `() => new Blob([], "x")`, "TypeError"},
		{"Blob endings", `() => new Blob([], {endings: "x"})`, "TypeError"},
		{"not a Blob", `() => Blob.prototype.slice.call({})`, "TypeError"},
		{"stream locked", `() => { const s = new Blob([]).stream(); s.getReader(); s.getReader(); }`, "TypeError"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mustRun(`
			const ws = new WebSocket(WS_URL + "/echo");
			const name = "` + tc.name + `";
			let caught = null;
			try { (` + tc.fn + `)(); } catch (e) { caught = e; }
			ws.close();
			assert(caught !== null, "did not throw");
			eq(caught.name, name, "name");
			assert(caught instanceof Error, "instanceof Error");
			assert(caught.message.length > 0 && caught.message.indexOf(name + ":") !== 0,
				"the message says what was wrong, without the name: " + caught.message);
			eq(String(caught), name + ": " + caught.message, "toString");
			`)
		})
	}
}

func TestHTTPURLsMapToWS(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"http://example.com/chat?a=b": "ws://example.com/chat?a=b",
		"HTTPS://example.com:8443/":   "wss://example.com:8443/",
		"wss://example.com/":          "wss://example.com/",
	} {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			got, err := parseURL(sobek.New().ToValue(raw))
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL.replace(/^ws:/, "http:") + "/echo");
	eq(ws.url, WS_URL + "/echo", "the url is the ws: one");
	ws.onopen = () => ws.send("over http:");
	ws.onmessage = (ev) => { globalThis.echo = ev.data; ws.close(); };
	`)
	assert.Equal(t, "over http:", e.get("echo"))
}

func TestSendWhenClosingOrClosedDiscardsTheData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/echo");
	ws.onopen = () => {
		ws.close();
		const before = ws.bufferedAmount;
		ws.send("héllo"); // 6 bytes of UTF-8
		ws.send(new Uint8Array(10));
		log.push("closing " + ws.readyState + " +" + (ws.bufferedAmount - before));
	};
	ws.onclose = () => {
		const before = ws.bufferedAmount;
		ws.send("abc");
		ws.send(new Blob(["xy"]));
		log.push("closed " + ws.readyState + " +" + (ws.bufferedAmount - before));
		globalThis.log = log;
	};
	`)
	assert.Equal(t, []any{"closing 2 +16", "closed 3 +5"}, e.get("log"))
	assert.Zero(t, e.srv.Stats().MessagesReceived, "nothing may reach the server")
	assert.Zero(t, wstest.Sum(e.samples(), "ws_msgs_sent"))
}

func TestAddEventListenerOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/echo");
	const once = (ev) => log.push("once:" + ev.data);
	ws.addEventListener("message", once, {once: true});
	ws.addEventListener("message", once); // the same listener: ignored
	// A once listener is removed before it runs: adding itself again is
	// a new registration, at the end of the list.
	const again = (ev) => {
		log.push("again:" + ev.data);
		if (ev.data === "1") { ws.addEventListener("message", again, {once: true}); }
	};
	ws.addEventListener("message", again, {once: true});
	const removed = () => log.push("removed");
	ws.addEventListener("message", removed, {once: true});
	ws.removeEventListener("message", removed);
	ws.addEventListener("message", (ev) => { log.push("always:" + ev.data); if (ev.data === "3") { ws.close(); } });
	ws.onopen = () => { ws.send("1"); ws.send("2"); ws.send("3"); };
	ws.onclose = () => { globalThis.log = log; };
	`)
	assert.Equal(t, []any{"once:1", "again:1", "always:1", "always:2", "again:2", "always:3"}, e.get("log"))
}

func TestAddEventListenerCaptureTellsListenersApart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/echo");
	const a = () => log.push("a");
	const b = () => log.push("b");
	ws.addEventListener("open", a);
	ws.addEventListener("open", a, false);                        // the same: ignored
	ws.addEventListener("open", a, {capture: false, once: true}); // the same: ignored
	ws.addEventListener("open", a, true);                         // capture: another listener
	ws.addEventListener("open", a, {capture: true});              // the same as the last: ignored
	ws.addEventListener("open", b, {capture: true});
	ws.removeEventListener("open", b);                            // capture false: not b's registration
	ws.removeEventListener("open", a, {capture: true});
	ws.addEventListener("open", a, {capture: true});              // again, now after b
	ws.addEventListener("open", () => ws.close());
	ws.onclose = () => { globalThis.log = log; };
	`)
	assert.Equal(t, []any{"a", "b", "a"}, e.get("log"))
}

// TestSendWhileOpenAfterTheDropQueues covers every place a handler can run
// between a dropped connection and its close event: while readyState reads
// OPEN, send() and ping() take the data without throwing (it is lost with
// the connection and bufferedAmount grows), and the error and close events
// follow in order.
func TestSendWhileOpenAfterTheDropQueues(t *testing.T) {
	t.Parallel()
	const listeners = `
	const log = [];
	const reply = (where) => {
		log.push(where + " " + ws.readyState);
		if (ws.readyState === 1) {
			const before = ws.bufferedAmount;
			ws.send("reply");
			ws.ping();
			log.push("queued +" + (ws.bufferedAmount - before));
		}
	};
	ws.onmessage = () => {
		reply("message");
		Promise.resolve().then(() => { log.push("microtask " + ws.readyState); ws.send("unchecked"); });
	};
	ws.onerror = () => { log.push("error " + ws.readyState); ws.send("in onerror"); };
	ws.onclose = (ev) => {
		log.push("close " + ev.code + " " + ws.readyState);
		ws.send("in onclose");
		globalThis.log = log;
	};
	`
	for name, tc := range map[string]struct {
		script string
		want   []any
	}{
		"onmessage in the batch of the close": {
			`const ws = new WebSocket(WS_URL + "/drop?after=1");
			ws.onopen = () => { ws.send("x"); holdUntilGone(ws); };`,
			[]any{"message 1", "queued +5", "microtask 1", "error 3", "close 1006 3"},
		},
		"onopen when the drop follows at once": {
			`const ws = new WebSocket(WS_URL + "/drop?after=0");
			ws.onopen = () => { holdUntilGone(ws); reply("open"); };`,
			[]any{"open 1", "queued +5", "error 3", "close 1006 3"},
		},
		"a timer": {
			`const ws = new WebSocket(WS_URL + "/drop?after=1");
			ws.onopen = () => setTimeout(() => { ws.send("x"); holdUntilGone(ws); reply("timer"); }, 0);`,
			[]any{"timer 1", "queued +5", "message 1", "queued +5", "microtask 1", "error 3", "close 1006 3"},
		},
		"another socket's listener": {
			`const ws = new WebSocket(WS_URL + "/drop?after=1");
			ws.onopen = () => {
				const other = new WebSocket(WS_URL + "/echo");
				other.onopen = () => { ws.send("x"); holdUntilGone(ws); reply("other"); other.close(); };
			};`,
			[]any{"other 1", "queued +5", "message 1", "queued +5", "microtask 1", "error 3", "close 1006 3"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.set("holdUntilGone", e.holdUntilGone())
			e.mustRun(tc.script + listeners)
			assert.Equal(t, tc.want, e.get("log"))
		})
	}
}

// TestBurstOfSendsIsEchoedWhole is not parallel: it moves tens of MiB, and alone it
// starves no other test of the CPU.
func TestBurstOfSendsIsEchoedWhole(t *testing.T) {
	e := newEnv(t)
	// 96 MiB each way, masked byte by byte under the race detector: a bound
	// for a hang, far above what it takes.
	require.NoError(t, e.runWithin(`
	const n = 96, size = 1 << 20;
	const ws = new WebSocket(WS_URL + "/echo");
	ws.binaryType = "arraybuffer";
	let got = 0;
	ws.onopen = () => {
		for (let i = 0; i < n; i++) {
			const m = new Uint8Array(size);
			m[0] = i; m[size >> 1] = i; m[size - 1] = i;
			ws.send(m);
		}
		eq(ws.readyState, 1, "still open after the burst");
	};
	ws.onmessage = (ev) => {
		const b = new Uint8Array(ev.data);
		eq(b.length, size, "size of echo " + got);
		assert(b[0] === got && b[size >> 1] === got && b[size - 1] === got, "echo " + got + " in order");
		if (++got === n) { ws.close(); }
	};
	ws.onerror = (ev) => { throw new Error("error event: " + ev.error); };
	ws.onclose = (ev) => { globalThis.result = [got, ev.code]; };
	`, 3*time.Minute))
	assert.Equal(t, []any{int64(96), int64(1000)}, e.get("result"))
	assert.Equal(t, 96.0, wstest.Sum(e.samples(), "ws_msgs_sent"))
}

// TestFullWriteQueueFailsTheSocket is not parallel: it moves tens of MiB, and alone it
// starves no other test of the CPU.
func TestFullWriteQueueFailsTheSocket(t *testing.T) {
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/echo", null, {writeQueueBytes: 1 << 20});
	let accepted = -1;
	ws.onopen = () => {
		for (let i = 0; i < 96; i++) {
			ws.send(new Uint8Array(1 << 20)); // never throws
			if (accepted < 0 && ws.readyState !== 1) { accepted = i; }
		}
		log.push("after the sends " + ws.readyState);
		assert(accepted > 0, "the queue took some before it was full: " + accepted);
		assert(ws.bufferedAmount >= (96 - accepted) << 20, "the refused bytes stay in bufferedAmount");
		globalThis.accepted = accepted;
	};
	ws.onmessage = () => log.push("message");
	ws.onerror = (ev) => log.push("error " + ws.readyState + ": " + ev.error);
	ws.onclose = (ev) => { log.push("close " + ev.code + " " + ev.wasClean + " " + ws.readyState); globalThis.log = log; };
	`)
	log, ok := e.get("log").([]any)
	require.True(t, ok)
	require.Len(t, log, 3, "%v", log)
	assert.Equal(t, "after the sends 2", log[0])
	assert.Contains(t, log[1], "error 3: ")
	assert.Contains(t, log[1], "write queue is full (params.writeQueueBytes)")
	assert.Equal(t, "close 1006 false 3", log[2])
	accepted, ok := e.get("accepted").(int64)
	require.True(t, ok)
	assert.Equal(t, float64(accepted), wstest.Sum(e.samples(), "ws_msgs_sent"), "the messages queued are counted")
	assert.LessOrEqual(t, e.srv.Stats().MessagesReceived, accepted, "the server got at most what was queued")
}
