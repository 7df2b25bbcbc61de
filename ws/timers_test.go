package ws_test

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimersRunInDueOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var log = [], ticks = 0;
		ws.connect(WS + "/echo", function(socket) {
			socket.setTimeout(function() { log.push("c"); }, 125);
			socket.setTimeout(function() { log.push("a"); }, 30);
			socket.setTimeout(function() { log.push("b"); }, 30);
			socket.setInterval(function() {
				ticks++;
				log.push("i" + ticks);
				if (ticks === 3) { socket.close(); }
			}, 50);
			socket.on("open", function() { log.push("open"); });
			socket.on("close", function() {
				log.push("close");
				socket.setTimeout(function() { log.push("after close"); }, 1);
			});
		});
		JSON.stringify(log)`)
	assert.JSONEq(t, `["open", "a", "b", "i1", "i2", "c", "i3", "close"]`, got)
}

func TestTimeoutWaitsAtLeastItsDelay(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var start = Date.now(), elapsed;
		ws.connect(WS + "/echo", function(socket) {
			socket.setTimeout(function() { elapsed = Date.now() - start; socket.close(); }, 100);
		});
		JSON.stringify(elapsed >= 100)`)
	assert.Equal(t, `true`, got)
}

func TestSubMillisecondInterval(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var n = 0;
		ws.connect(WS + "/echo", function(socket) {
			socket.setInterval(function() { n++; if (n === 3) { socket.close(); } }, 0.3);
		});
		JSON.stringify(n)`)
	assert.Equal(t, `3`, got)
}

func TestTimerArgumentErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct{ call, want string }{
		{`socket.setTimeout(function() {}, 0)`, "setTimeout requires a >0 timeout parameter, received 0.00"},
		{`socket.setInterval(function() {}, -1.23)`, "setInterval requires a >0 timeout parameter, received -1.23"},
		{`socket.setTimeout(function() {})`, "setTimeout requires a >0 timeout parameter, received 0.00"},
		{`socket.setInterval(function() {}, 0.0000001)`, "setInterval requires a >0 timeout parameter, received 0.00"},
		{`socket.setTimeout(function() {}, "soon")`, "socket.setTimeout: the timeout must be a number of milliseconds"},
		{`socket.setInterval(function() {}, Infinity)`, "socket.setInterval: the timeout must be a number of milliseconds"},
		{`socket.setTimeout("code", 10)`, `socket.setTimeout: the first argument must be a function, got string "code"`},
		{`socket.setInterval(null, 10)`, "socket.setInterval: the first argument must be a function, got null"},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) { // not parallel: the cases share one VU
			_, err := h.Run(`ws.connect(WS + "/echo", function(socket) { ` + tc.call + `; });`)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Pending timers cost no goroutine: they share one clock in the socket's
// loop. Not parallel: other tests' goroutines would blur the count.
func TestTimersNeedNoGoroutines(t *testing.T) {
	h := newHarness(t)
	h.set(t, "goroutines", runtime.NumGoroutine)
	got := h.runJSON(t, `
		var before, after;
		ws.connect(WS + "/echo", function(socket) {
			socket.on("open", function() {
				before = goroutines();
				for (var i = 0; i < 1000; i++) {
					socket.setTimeout(function() {}, 60000);
					socket.setInterval(function() {}, 60000);
				}
				after = goroutines();
				socket.close();
			});
		});
		JSON.stringify(after - before)`)
	// A goroutine per timer would add 2000; allow for the goroutines that
	// other parts of the process start and end meanwhile.
	grown, err := strconv.Atoi(got)
	require.NoError(t, err)
	assert.Less(t, grown, 20, "2000 pending timers must not cost a goroutine each")
}
