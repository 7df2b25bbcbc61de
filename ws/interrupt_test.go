package ws_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// cancelOnOpen defines opened(), which the script calls once its socket is
// open: the VU's context is then cancelled from another goroutine, as k6
// does at the end of a test. It also defines record(), which counts the
// calls made once the context is done into late.
func cancelOnOpen(t *testing.T, h *harness) (late *atomic.Int64) {
	t.Helper()
	opened := make(chan struct{})
	testDone := make(chan struct{})
	var once sync.Once
	h.set(t, "opened", func() { once.Do(func() { close(opened) }) })
	late = new(atomic.Int64)
	h.set(t, "record", func() {
		if h.VU.VU.Context().Err() != nil {
			late.Add(1)
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-opened:
			h.CancelContext()
		case <-testDone:
		}
	})
	t.Cleanup(func() {
		close(testDone)
		wg.Wait()
	})
	return late
}

func TestInterruptionEndsTheSocketAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	late := cancelOnOpen(t, h)
	got := h.runJSON(t, `
		var messages = 0, ticks = 0, errors = 0, closes = 0;
		var res = ws.connect(WS + "/push?count=0&size=8&interval=1ms", function(socket) {
			socket.on("open", function() { opened(); });
			socket.on("message", function() { messages++; });
			socket.on("error", function() { record(); errors++; });
			socket.on("close", function() { record(); closes++; });
			socket.setInterval(function() { ticks++; }, 1);
		});
		JSON.stringify({status: res.status, errors: errors, closes: closes, messages: messages})`)

	var res struct{ Status, Errors, Closes, Messages int }
	require.NoError(t, jsonUnmarshal(got, &res))
	assert.Equal(t, 101, res.Status, "connect returns its response")
	// The close event of the torn-down connection exists only after the
	// context ended: its handlers must not run. (Message and timer handlers
	// may race with the cancel from the other goroutine, so they are not
	// checked here; TestInterruptionSendsGoingAway checks an idle socket.)
	assert.Zero(t, res.Closes, "no close handler runs once the VU's context is done")
	assert.Zero(t, res.Errors, "the interruption is not an error event")
	assert.Zero(t, late.Load(), "no handler runs once the VU's context is done")

	samples := h.Collected()
	requireSession(t, samples, 1)
	assert.InDelta(t, float64(res.Messages), wstest.Sum(samples, "ws_msgs_received"), 0,
		"messages delivered before the end are counted")
}

func TestInterruptionSendsGoingAway(t *testing.T) {
	t.Parallel()
	rs := newRecordServer(t)
	h := newHarness(t)
	h.set(t, "RS", rs.URL())
	late := cancelOnOpen(t, h)
	h.run(t, `
		ws.connect(RS, function(socket) {
			socket.on("open", function() { opened(); });
			socket.on("close", function() { record(); });
			socket.setTimeout(function() { record(); socket.close(4000); }, 10000);
		});`)
	assert.Equal(t, closeFrame{code: 1001}, rs.frame(t), "the peer is told the client goes away")
	assert.Zero(t, late.Load())
	requireSession(t, h.Collected(), 1)
}
