package ws_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// The methods of a Socket work detached from it, as in k6: passed to a
// timer, destructured, or kept in a variable.

func TestDetachedPingRunsAsInterval(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var pongs = 0, errors = [];
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() { socket.setInterval(socket.ping, 1); });
			socket.on("pong", function() { if (++pongs === 3) { socket.close(); } });
			socket.on("error", function(e) { errors.push(String(e)); });
		});
		JSON.stringify([pongs, errors])`)
	assert.Equal(t, `[3,[]]`, got)
	// Pings sent before close() may be answered after it: those count too.
	assert.GreaterOrEqual(t, wstest.Count(h.Collected(), "ws_ping"), 3, "each pong is a ws_ping")
}

func TestDestructuredSendAndOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var got = [];
		ws.connect(WS + "/echo", function(socket) {
			const { on, send, sendBinary, close } = socket;
			on("open", function() { send("x"); sendBinary(new Uint8Array([1, 2]).buffer); });
			on("message", function(m) { got.push(m); });
			on("binaryMessage", function(m) { got.push(new Uint8Array(m).length); close(4000); });
			on("close", function(code) { got.push(code); });
		});
		JSON.stringify(got)`)
	assert.Equal(t, `["x",2,4000]`, got)
	assert.InDelta(t, 2, wstest.Sum(h.Collected(), "ws_msgs_sent"), 0)
}

func TestDetachedCloseAsTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.run(t, `
		var code = 0;
		ws.connect(WS + "/echo", function(socket) {
			var { setTimeout } = socket;
			setTimeout(socket.close, 10);
			socket.on("close", function(c) { code = c; });
		});
		code`)
	assert.Equal(t, int64(1001), got.ToInteger(), "close() without arguments: 1001, going away")
	requireSession(t, h.Collected(), 1)
}

func TestDetachedMethodsBelongToTheirSocket(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var log = [];
		ws.connect(WS + "/echo", function(outer) {
			var sendOuter = outer.send;
			outer.on("open", function() {
				ws.connect(WS + "/echo", function(inner) {
					var sendInner = inner.send;
					inner.on("open", function() { sendOuter("to outer"); sendInner("to inner"); });
					inner.on("message", function(m) { log.push("inner:" + m); inner.close(); });
				});
			});
			outer.on("message", function(m) { log.push("outer:" + m); outer.close(); });
		});
		JSON.stringify(log)`)
	assert.Equal(t, `["inner:to inner","outer:to outer"]`, got)
}

func TestDetachedMethodIsTheSameEachTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.run(t, `
		var same;
		ws.connect(WS + "/echo", function(socket) {
			same = socket.send === socket.send && socket.on === socket.on;
			socket.close();
		});
		same`)
	assert.True(t, got.ToBoolean())
}

func TestMethodOnSomethingElseThrowsTypeError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var proto, detachedAfter, late = [];
		ws.connect(WS + "/echo", function(socket) {
			proto = Object.getPrototypeOf(socket);
			socket.close();
		});
		function attempt(f) {
			try { f(); return "no error"; } catch (e) { return e.name + ": " + e.message; }
		}
		JSON.stringify([
			attempt(function() { proto.send.call({}, "x"); }),
			attempt(function() { proto.close.call(undefined); }),
			attempt(function() { var f = proto.on; f("open", function() {}); }),
		])`)
	var res []string
	require.NoError(t, jsonUnmarshal(got, &res))
	assert.Equal(t, []string{
		"TypeError: socket.send called on Object, which is not a Socket",
		"TypeError: socket.close called on undefined, which is not a Socket",
		"TypeError: socket.on called on undefined, which is not a Socket",
	}, res)
}

func TestDetachedMethodAfterConnectReturnedThrows(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var send, sock;
		ws.connect(WS + "/echo", function(socket) {
			send = socket.send;
			sock = socket;
			socket.close();
		});
		function attempt(f) {
			try { f(); return "no error"; } catch (e) { return String(e); }
		}
		JSON.stringify([attempt(function() { send("late"); }), attempt(function() { var s = sock.ping; s(); })])`)
	var res []string
	require.NoError(t, jsonUnmarshal(got, &res))
	assert.Equal(t, []string{
		"GoError: socket.send: the socket is closed: ws.connect has returned",
		"GoError: socket.ping: the socket is closed: ws.connect has returned",
	}, res)
}

// TestSocketOpenedInAHandlerAfterAnotherSession opens a socket from a
// handler of another, after a first session: the VU's spare waker is the
// outer socket's then, so the inner one needs its own, or it would swallow
// the wake-up of the outer socket's echo, which arrives meanwhile.
func TestSocketOpenedInAHandlerAfterAnotherSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	type result struct {
		got string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := h.Run(`
			var log = [];
			ws.connect(WS + "/echo", function(first) {
				first.on("open", function() { first.close(); });
			});
			ws.connect(WS + "/echo", function(outer) {
				outer.on("open", function() {
					outer.send("to outer");
					ws.connect(WS + "/echo", function(inner) {
						var left = 50;
						inner.on("open", function() { inner.send("to inner"); });
						inner.on("message", function(m) {
							if (--left > 0) { inner.send(m); return; }
							log.push("inner:" + m);
							inner.close();
						});
					});
				});
				outer.on("message", function(m) { log.push("outer:" + m); outer.close(); });
			});
			JSON.stringify(log)`)
		var got string
		if err == nil {
			got = v.String()
		}
		done <- result{got, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second): // a hang guard, not a speed limit
		h.CancelContext()
		<-done
		t.Fatal("the outer socket never got its echo: its wake-up was lost")
	}
	require.NoError(t, res.err)
	assert.Equal(t, `["inner:to inner","outer:to outer"]`, res.got)
	requireSession(t, h.Collected(), 3)
}
