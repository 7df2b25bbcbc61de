package ws_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A send that the connection no longer takes is an error event that says
// why: "websocket: close sent" is kept for sends after close().
func TestSendErrorSaysWhatHappened(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, route, want string }{
		{"dropped", "/drop?mode=fin",
			"socket.send: websocket is closed: websocket: the connection was dropped without a close frame: " +
				"unexpected EOF"},
		{"peer closed", "/close?code=4001&reason=bye",
			"socket.send: websocket is closed: the peer closed it: websocket: close 4001: bye"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.set(t, "ROUTE", tc.route)
			got := h.runJSON(t, `
				var errors = [], sent = false;
				ws.connect(WS + ROUTE, function(socket) {
					socket.on("error", function(e) {
						errors.push(e.error());
						if (!sent) { sent = true; socket.send("late"); }
					});
				});
				JSON.stringify(errors)`)
			var errs []string
			require.NoError(t, jsonUnmarshal(got, &errs))
			require.Len(t, errs, 2, "the connection's error, then the send's: %q", errs)
			assert.Equal(t, tc.want, errs[1])
			assert.NotContains(t, errs[1], "close sent", "the script never called close()")
		})
	}
}
