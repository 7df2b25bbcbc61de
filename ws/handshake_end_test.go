package ws_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// The end of the test during a handshake, or before a connect, is an
// interruption: no handler runs, no session is counted (no ws_sessions,
// ws_connecting or ws_session_duration), and connect returns once the VU's
// context is done.

// endingVUContext gives h's VU a context whose deadline passes after
// deadline, and which is cancelled after a further gap.
func endingVUContext(t *testing.T, h *harness, deadline, gap time.Duration) context.Context {
	t.Helper()
	base, cancel := context.WithTimeout(context.Background(), deadline+gap)
	t.Cleanup(cancel)
	ctx := wstest.PastDeadline(base, time.Now().Add(deadline))
	h.VU.VU.CtxField = ctx
	return ctx
}

const connectAndLog = `
	var log = [];
	var res = ws.connect(URL, {handshakeTimeout: "60s"}, function(socket) {
		log.push("callback");
		socket.on("open", function() { log.push("open"); });
		socket.on("error", function(e) { log.push("error"); });
		socket.on("close", function() { log.push("close"); });
	});
	JSON.stringify({log: log, error: res.error})`

type connectOutcome struct {
	Log   []string `json:"log"`
	Error string   `json:"error"`
}

func runConnect(t *testing.T, h *harness, url string) connectOutcome {
	t.Helper()
	h.set(t, "URL", url)
	var out connectOutcome
	require.NoError(t, jsonUnmarshal(h.runJSON(t, connectAndLog), &out))
	return out
}

func TestConnectAfterTheEndCountsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.CancelContext()
	out := runConnect(t, h, h.srv.URL()+"/echo")
	assert.Empty(t, out.Log, "no handler runs")
	assert.Contains(t, out.Error, "interrupted")
	assert.Empty(t, h.Collected(), "no sample at all")
}

func TestHandshakeCutOffByTheEndCountsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	url, accepted := wstest.SilentListener(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		<-accepted
		h.CancelContext()
	})
	out := runConnect(t, h, url)
	wg.Wait()
	assert.Empty(t, out.Log, "no handler runs")
	assert.Contains(t, out.Error, "websocket handshake interrupted")
	assert.Empty(t, h.Collected(), "no sample at all")
}

// TestHandshakePastTheVUDeadlineIsAnInterruption: the VU's deadline passes
// during a handshake that handshakeTimeout allows a minute: that is the end
// of the test, not a timeout, and connect returns once the VU's context is
// done, not as soon as the deadline passed, so the VU makes no more
// iterations.
func TestHandshakePastTheVUDeadlineIsAnInterruption(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := endingVUContext(t, h, 100*time.Millisecond, 500*time.Millisecond)
	out := runConnect(t, h, h.srv.URL()+"/hang")
	require.Error(t, ctx.Err(), "connect returns once the VU's context is done")
	assert.Empty(t, out.Log, "no handler runs")
	assert.Contains(t, out.Error, "websocket handshake interrupted")
	assert.NotContains(t, out.Error, "timed out")
	assert.Empty(t, h.Collected(), "no sample at all")
}

func TestConnectPastTheVUDeadlineCountsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := endingVUContext(t, h, 0, 300*time.Millisecond)
	out := runConnect(t, h, h.srv.URL()+"/echo")
	require.Error(t, ctx.Err(), "connect returns once the VU's context is done")
	assert.Empty(t, out.Log, "no handler runs")
	assert.NotContains(t, out.Error, "timed out")
	assert.Empty(t, h.Collected(), "no sample at all")
}
