package ws_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A burst larger than the write queue is sent whole: send waits for room
// instead of dropping messages.
func TestBurstLargerThanTheWriteQueueIsDeliveredInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var n = 96, size = 1 << 20;
		var echoed = 0, inOrder = 0, wholes = 0, errors = [], code = 0;
		ws.connect(WS + "/echo", {writeQueueBytes: 4 << 20}, function(socket) {
			socket.on("open", function() {
				var buf = new Uint8Array(size);
				for (var i = 0; i < n; i++) {
					buf[0] = i;
					socket.sendBinary(buf.buffer);
				}
			});
			socket.on("binaryMessage", function(m) {
				var b = new Uint8Array(m);
				if (b[0] === echoed % 256) { inOrder++; }
				if (b.length === size) { wholes++; }
				echoed++;
				if (echoed === n) { socket.close(1000); }
			});
			socket.on("error", function(e) { errors.push(e.error()); });
			socket.on("close", function(c) { code = c; });
			socket.setTimeout(function() { socket.close(4000); }, 120000); // bounds a lost echo
		});
		JSON.stringify({echoed: echoed, inOrder: inOrder, wholes: wholes, errors: errors, code: code})`)
	var res struct {
		Echoed, InOrder, Wholes, Code int
		Errors                        []string
	}
	require.NoError(t, jsonUnmarshal(got, &res))
	assert.Empty(t, res.Errors)
	assert.Equal(t, 96, res.Echoed, "every message is echoed")
	assert.Equal(t, 96, res.InOrder, "in the order sent")
	assert.Equal(t, 96, res.Wholes, "whole")
	assert.Equal(t, 1000, res.Code)
	requireSession(t, h.Collected(), 1)
}

// An interrupted VU does not stay blocked in a send that waits for room:
// the server never reads, so the sends fill the write queue and then wait,
// until the VU's context is cancelled a little after the socket opened.
func TestInterruptionEndsASendThatWaits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var once sync.Once
	var cancel *time.Timer
	h.set(t, "opened", func() {
		once.Do(func() { cancel = time.AfterFunc(100*time.Millisecond, h.CancelContext) })
	})
	t.Cleanup(func() {
		if cancel != nil {
			cancel.Stop()
		}
	})
	h.set(t, "interrupted", func() bool { return h.VU.VU.Context().Err() != nil })
	got := h.runJSON(t, `
		var sent = 0, errors = 0, closes = 0;
		var res = ws.connect(WS + "/slowread", {writeQueueBytes: 1 << 20}, function(socket) {
			socket.on("open", function() {
				opened();
				var buf = new Uint8Array(64 << 10);
				while (!interrupted()) {
					socket.sendBinary(buf.buffer);
					sent++;
				}
			});
			socket.on("error", function() { errors++; });
			socket.on("close", function() { closes++; });
		});
		JSON.stringify({status: res.status, sent: sent, errors: errors, closes: closes})`)
	var res struct{ Status, Sent, Errors, Closes int }
	require.NoError(t, jsonUnmarshal(got, &res))
	assert.Equal(t, 101, res.Status)
	assert.Positive(t, res.Sent)
	assert.Zero(t, res.Errors, "a full queue is waited for, and the interruption is not an error event")
	assert.Zero(t, res.Closes, "no close handler runs once the VU's context is done")
	requireSession(t, h.Collected(), 1)
}
