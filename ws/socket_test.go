package ws_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

func TestEventOrderAndMessageMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var log = [];
		ws.connect(WS + "/echo", function(socket) {
			log.push("setup");
			socket.on("open", function() { log.push("open"); socket.send("a"); socket.send("b"); });
			socket.on("open", function() { log.push("open2"); });
			socket.on("open", 42);
			socket.on("message", function(m) { log.push("message:" + m); if (m === "b") { socket.close(); } });
			socket.on("close", function(code, reason) { log.push("close:" + code + ":" + reason); });
			log.push("setup-end");
		});
		log.push("returned");
		JSON.stringify(log)`)
	assert.JSONEq(t, `["setup", "setup-end", "open", "open2", "message:a", "message:b", "close:1001:", "returned"]`,
		got)
	samples := h.Collected()
	requireSession(t, samples, 1)
	assert.InDelta(t, 2, wstest.Sum(samples, "ws_msgs_sent"), 0)
	assert.InDelta(t, 2, wstest.Sum(samples, "ws_msgs_received"), 0)
	assert.Equal(t, h.srv.URL()+"/echo", tagsOf(t, samples, "ws_msgs_sent")["url"])
	assert.Equal(t, "101", tagsOf(t, samples, "ws_msgs_received")["status"])
}

func TestManyMessagesArriveInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var next = 0, wrong = 0;
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() { for (var i = 0; i < 500; i++) { socket.send(String(i)); } });
			socket.on("message", function(m) {
				if (m !== String(next)) { wrong++; }
				next++;
				if (next === 500) { socket.close(); }
			});
		});
		JSON.stringify([next, wrong])`)
	assert.Equal(t, `[500,0]`, got)
	samples := h.Collected()
	assert.InDelta(t, 500, wstest.Sum(samples, "ws_msgs_sent"), 0)
	assert.InDelta(t, 500, wstest.Sum(samples, "ws_msgs_received"), 0)
}

func TestPushedMessagesAreCounted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var n = 0, sizes = {};
		ws.connect(WS + "/push?count=300&size=10", function(socket) {
			socket.on("message", function(m) { n++; sizes[m.length] = true; if (n === 300) { socket.close(); } });
		});
		JSON.stringify([n, Object.keys(sizes)])`)
	assert.Equal(t, `[300,["10"]]`, got)
	assert.InDelta(t, 300, wstest.Sum(h.Collected(), "ws_msgs_received"), 0)
}

func TestNoEventsAfterClose(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var messages = 0, closes = 0;
		ws.connect(WS + "/push?count=0&size=8", function(socket) {
			socket.on("message", function() { messages++; socket.close(); });
			socket.on("close", function() { closes++; });
		});
		JSON.stringify([messages, closes])`)
	assert.Equal(t, `[1,1]`, got, "after close() only the close event reaches the script")
	assert.InDelta(t, 1, wstest.Sum(h.Collected(), "ws_msgs_received"), 0)
}

func TestSendConvertsToString(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var got = [];
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() { socket.send(42); socket.send(undefined); socket.send("ünï"); });
			socket.on("message", function(m) { got.push(m); if (got.length === 3) { socket.close(); } });
		});
		JSON.stringify(got)`)
	assert.Equal(t, `["42","","ünï"]`, got)
}

func TestSendBinary(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var got = [];
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() {
				var buf = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
				socket.sendBinary(buf.buffer);
				buf[0] = 99; // the message was copied when sent
				socket.sendBinary(buf.subarray(2, 5));
				socket.sendBinary(new DataView(buf.buffer, 6, 2));
				socket.sendBinary(new Uint16Array([258]));
			});
			socket.on("binaryMessage", function(data) {
				got.push((data instanceof ArrayBuffer) + ":" + Array.from(new Uint8Array(data)).join(","));
				if (got.length === 4) { socket.close(); }
			});
			socket.on("message", function() { got.push("text?"); });
		});
		JSON.stringify(got)`)
	assert.JSONEq(t, `["true:1,2,3,4,5,6,7,8", "true:3,4,5", "true:7,8", "true:2,1"]`, got)
	samples := h.Collected()
	assert.InDelta(t, 4, wstest.Sum(samples, "ws_msgs_sent"), 0)
	assert.InDelta(t, 4, wstest.Sum(samples, "ws_msgs_received"), 0)
}

// TestSendBinaryRejectsOtherTypes checks the exceptions of sendBinary: each
// begins with stock k6's text, which scripts match (e.includes("String")),
// and names what sendBinary takes and, cut short, what it got.
func TestSendBinaryRejectsOtherTypes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const takes = " (socket.sendBinary takes an ArrayBuffer, a typed array or a DataView"
	cases := []struct{ arg, stock, rest string }{
		{"", "missing argument, expected ArrayBuffer", takes + ")"},
		{"undefined", "expected ArrayBuffer as argument, received: undefined", takes + "; got undefined)"},
		{"null", "expected ArrayBuffer as argument, received: null", takes + "; got null)"},
		{"'abc'", "expected ArrayBuffer as argument, received: String", takes + `; got string "abc")`},
		{"'a'.repeat(1000000)", "expected ArrayBuffer as argument, received: String",
			takes + `; got string of 1000000 characters starting "` + strings.Repeat("a", 32) + `…")`},
		{"3.14", "expected ArrayBuffer as argument, received: Number", takes + "; got number 3.14)"},
		{"true", "expected ArrayBuffer as argument, received: Boolean", takes + "; got boolean true)"},
		{"{}", "expected ArrayBuffer as argument, received: Object", takes + "; got Object)"},
		{"[1, 2, 3]", "expected ArrayBuffer as argument, received: Array", takes + "; got Array)"},
		{"Symbol('a')", "expected ArrayBuffer as argument, received: Symbol", takes + "; got symbol)"},
		{"function() {}", "expected ArrayBuffer as argument, received: Function", takes + "; got function)"},
	}
	var calls []string
	for _, tc := range cases {
		calls = append(calls, fmt.Sprintf(`try { socket.sendBinary(%s); got.push("no exception"); } catch (e) { got.push(e.message); }`, tc.arg))
	}
	got := h.runJSON(t, `var got = [];
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() {
				`+strings.Join(calls, "\n\t\t\t\t")+`
				socket.close();
			});
		});
		JSON.stringify(got)`)
	var messages []string
	require.NoError(t, jsonUnmarshal(got, &messages))
	require.Len(t, messages, len(cases))
	for i, tc := range cases {
		assert.True(t, strings.HasPrefix(messages[i], tc.stock), "sendBinary(%s) begins with stock's text %q: %q", tc.arg, tc.stock, messages[i])
		assert.Equal(t, tc.stock+tc.rest, messages[i], "sendBinary(%s)", tc.arg)
	}
	assert.Zero(t, wstest.Sum(h.Collected(), "ws_msgs_sent"))
}

func TestErrorEventValue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var errs = [], closes = [], binaries = 0;
		ws.connect(WS + "/big?size=2048", {maxMessageSize: 1024}, function(socket) {
			socket.on("binaryMessage", function() { binaries++; });
			socket.on("error", function(e) { errs.push(e.error() === String(e) ? String(e) : "mismatch"); });
			socket.on("close", function(code) { closes.push(code); });
		});
		JSON.stringify({errs: errs, closes: closes, binaries: binaries})`)
	assert.JSONEq(t, `{"errs": ["websocket: received a message larger than maxMessageSize (1024 bytes)"],
		"closes": [1009], "binaries": 0}`, got)
	samples := h.Collected()
	requireSession(t, samples, 1)
	assert.Zero(t, wstest.Sum(samples, "ws_msgs_received"))
}

func TestBigMessageWithinLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var size;
		ws.connect(WS + "/big?size=2048", {maxMessageSize: 2048}, function(socket) {
			socket.on("binaryMessage", function(data) { size = data.byteLength; socket.close(); });
		});
		JSON.stringify(size)`)
	assert.Equal(t, `2048`, got)
}

func TestPeerFaults(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, path, code, errText string }{
		{"drop fin", "/drop?after=1", "1006", ""},
		{"drop rst", "/drop?after=1&mode=rst", "1006", ""},
		{"invalid utf-8", "/invalid-utf8", "1007", "not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			got := h.runJSON(t, fmt.Sprintf(`
				var log = [];
				ws.connect(WS + %q, function(socket) {
					socket.on("open", function() { socket.send("x"); });
					socket.on("message", function(m) { log.push("message:" + m); });
					socket.on("error", function(e) { log.push("error:" + e.error()); });
					socket.on("close", function(code) { log.push("close:" + code); });
				});
				JSON.stringify(log)`, tc.path))
			var log []string
			require.NoError(t, jsonUnmarshal(got, &log))
			require.GreaterOrEqual(t, len(log), 2, got)
			assert.Equal(t, "close:"+tc.code, log[len(log)-1], got)
			errEvent := log[len(log)-2]
			assert.Regexp(t, "^error:.+", errEvent, "a fault is an error event before the close")
			assert.Contains(t, errEvent, tc.errText)
			requireSession(t, h.Collected(), 1)
		})
	}
}

func TestFragmentedMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var lengths = [];
		ws.connect(WS + "/fragmented?parts=4&size=3000", function(socket) {
			socket.on("message", function(m) { lengths.push(m.length); socket.close(); });
		});
		JSON.stringify(lengths)`)
	assert.Equal(t, `[3000]`, got)
}

func TestServerClose(t *testing.T) {
	t.Parallel()
	cases := []struct{ query, want string }{
		{"code=4001&reason=bye", `["error:websocket: close 4001: bye|websocket: close 4001: bye", "close:4001:bye"]`},
		{"code=1011", `["error:websocket: close 1011 (internal server error)|websocket: close 1011 (internal server error)", "close:1011:"]`},
		{"code=1000&reason=done", `["close:1000:done"]`},
		{"code=1001", `["close:1001:"]`},
	}
	h := newHarness(t)
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) { // not parallel: the cases share one VU
			got := h.runJSON(t, `
				var log = [];
				ws.connect(WS + "/close?`+tc.query+`", function(socket) {
					socket.on("error", function(e) { log.push("error:" + e.error() + "|" + String(e)); });
					socket.on("close", function(code, reason) { log.push("close:" + code + ":" + reason); });
				});
				JSON.stringify(log)`)
			assert.JSONEq(t, tc.want, got)
		})
	}
	requireSession(t, h.Collected(), len(cases))
}

func TestClientClose(t *testing.T) {
	t.Parallel()
	rs := newRecordServer(t)
	h := newHarness(t)
	h.set(t, "RS", rs.URL())

	got := h.runJSON(t, `
		var log = [];
		ws.connect(RS, function(socket) {
			socket.on("open", function() { socket.close(4002, "client-bye"); socket.close(1000); });
			socket.on("close", function(code, reason) { log.push(code + ":" + reason); });
		});
		JSON.stringify(log)`)
	assert.JSONEq(t, `["4002:client-bye"]`, got, "the close handlers get the code and reason of close()")
	assert.Equal(t, closeFrame{code: 4002, reason: "client-bye"}, rs.frame(t), "only the first close() counts")

	got = h.runJSON(t, `
		var log = [];
		ws.connect(RS, function(socket) {
			socket.on("open", function() { socket.close(); });
			socket.on("close", function(code, reason) { log.push(code + ":" + reason); });
		});
		JSON.stringify(log)`)
	assert.JSONEq(t, `["1001:"]`, got, "close() defaults to 1001 going away, as in k6")
	assert.Equal(t, closeFrame{code: 1001}, rs.frame(t))
	requireSession(t, h.Collected(), 2)
}

func TestCloseRejectsBadArguments(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var errs = [];
		ws.connect(WS + "/echo", function(socket) {
			[[999], [1005], [1006], [5000], ["nope"], ["9".repeat(1000000)], [1000, "x".repeat(124)]].forEach(function(args) {
				try { socket.close.apply(socket, args); errs.push("no error"); } catch (e) { errs.push(String(e)); }
			});
			socket.close(1000, "x".repeat(123));
		});
		JSON.stringify(errs)`)
	var errs []string
	require.NoError(t, jsonUnmarshal(got, &errs))
	require.Len(t, errs, 7)
	for i, want := range []string{"got 999", "got 1005", "got 1006", "got 5000", `got string "nope"`,
		`got string of 1000000 characters starting "` + strings.Repeat("9", 32) + `…"`} {
		t.Run(want, func(t *testing.T) {
			t.Parallel()
			assert.Contains(t, errs[i], "socket.close: code must be 1000-1003, 1007-1014 or 3000-4999, "+want)
		})
	}
	assert.Contains(t, errs[6], "socket.close: reason must be valid UTF-8 of at most 123 bytes, got 124 bytes")
}

func TestCloseTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	start := time.Now()
	got := h.runJSON(t, `
		var log = [];
		ws.connect(WS + "/noclose", {closeTimeout: "200ms"}, function(socket) {
			socket.on("open", function() { socket.close(1000); });
			socket.on("error", function(e) { log.push("error:" + e.error()); });
			socket.on("close", function(code) { log.push("close:" + code); });
		});
		JSON.stringify(log)`)
	elapsed := time.Since(start)
	var log []string
	require.NoError(t, jsonUnmarshal(got, &log))
	require.Len(t, log, 2, got)
	assert.Contains(t, log[0], "error:websocket close handshake timed out")
	assert.Equal(t, "close:1006", log[1])
	assert.GreaterOrEqual(t, elapsed, 200*time.Millisecond)
}

func TestWritesAfterCloseAreErrorEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var errs = [];
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() {
				socket.close();
				socket.send("late");
				socket.sendBinary(new ArrayBuffer(1));
				socket.ping();
			});
			socket.on("error", function(e) { errs.push(e.error()); });
			socket.on("close", function() { socket.send("after the end"); });
		});
		JSON.stringify(errs)`)
	assert.JSONEq(t, `["websocket: close sent", "websocket: close sent", "websocket: close sent",
		"websocket: close sent"]`, got)
	samples := h.Collected()
	requireSession(t, samples, 1)
	assert.Zero(t, wstest.Sum(samples, "ws_msgs_sent"), "messages that were not sent are not counted")
}

func TestPingPong(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var pongs = 0;
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() { socket.ping(); });
			socket.on("pong", function() { pongs++; socket.close(); });
		});
		JSON.stringify(pongs)`)
	assert.Equal(t, `1`, got)
	samples := h.Collected()
	pings := wstest.Of(samples, "ws_ping")
	require.Len(t, pings, 1)
	assert.Positive(t, pings[0].Value, "the round trip time in ms")
	assert.Less(t, pings[0].Value, 5000.0)
	assert.Equal(t, h.srv.URL()+"/echo", pings[0].Tags.Map()["url"])
	assert.Zero(t, wstest.Sum(samples, "ws_msgs_sent"), "a ping is not a message")
}

func TestPeerPingsAndUnsolicitedPongs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var pings = 0, pongs = 0;
		ws.connect(WS + "/ping?count=2", function(socket) {
			socket.on("ping", function() { pings++; if (pings === 2) { socket.close(); } });
		});
		ws.connect(WS + "/pong?count=1", function(socket) {
			socket.on("pong", function() { pongs++; socket.close(); });
		});
		JSON.stringify([pings, pongs])`)
	assert.Equal(t, `[2,1]`, got)
	samples := h.Collected()
	requireSession(t, samples, 2)
	assert.Empty(t, wstest.Of(samples, "ws_ping"), "a pong that answers no ping of ours has no round trip")
	assert.Equal(t, int64(2), h.srv.Stats().PongsReceived, "the core answers the peer's pings")
}

func TestThrowingHandlerEndsTheSocket(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, code string }{
		{"setup", `throw new Error("boom");`},
		{"open", `socket.on("open", function() { throw new Error("boom"); });`},
		{"message", `socket.on("open", function() { socket.send("x"); });
			socket.on("message", function() { throw new Error("boom"); });`},
		{"binaryMessage", `socket.on("open", function() { socket.sendBinary(new ArrayBuffer(2)); });
			socket.on("binaryMessage", function() { throw new Error("boom"); });`},
		{"pong", `socket.on("open", function() { socket.ping(); });
			socket.on("pong", function() { throw new Error("boom"); });`},
		{"timeout", `socket.setTimeout(function() { throw new Error("boom"); }, 5);`},
		{"interval", `socket.setInterval(function() { throw new Error("boom"); }, 5);`},
		{"error", `socket.on("open", function() { socket.close(); socket.send("x"); });
			socket.on("error", function() { throw new Error("boom"); });`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			got := h.runJSON(t, `
				var closes = [], caught, after = false;
				try {
					ws.connect(WS + "/echo", function(socket) {
						socket.on("close", function(code, reason) { closes.push(code + ":" + reason); });
						`+tc.code+`
					});
					after = true;
				} catch (e) {
					caught = (e instanceof Error) + ":" + e.message;
				}
				JSON.stringify({closes: closes, caught: caught, after: after})`)
			assert.JSONEq(t, `{"closes": ["1001:"], "caught": "true:boom", "after": false}`, got)
			requireSession(t, h.Collected(), 1)
		})
	}
}

func TestThrowingCloseHandler(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var closes = 0, caught;
		try {
			ws.connect(WS + "/echo", function(socket) {
				socket.on("open", function() { socket.close(); });
				socket.on("close", function() { closes++; throw new Error("in close"); });
			});
		} catch (e) { caught = e.message; }
		JSON.stringify([closes, caught])`)
	assert.Equal(t, `[1,"in close"]`, got, "the close handlers run once")
	requireSession(t, h.Collected(), 1)
}

func TestSocketsShareOnePrototypeAndOutliveNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var sockets = [];
		for (var i = 0; i < 2; i++) {
			ws.connect(WS + "/echo", function(socket) {
				sockets.push(socket);
				socket.on("open", function() { socket.close(); });
			});
		}
		var err = "";
		try { sockets[0].send("late"); } catch (e) { err = String(e); }
		JSON.stringify([
			Object.getPrototypeOf(sockets[0]) === Object.getPrototypeOf(sockets[1]),
			Object.keys(sockets[0]).length,
			typeof sockets[0].send,
			err,
		])`)
	assert.JSONEq(t,
		`[true, 0, "function", "GoError: socket.send: the socket is closed: ws.connect has returned"]`, got)
}
