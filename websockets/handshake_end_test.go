package websockets

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// The end of the test during a handshake, or before new WebSocket(), is an
// interruption: no listener runs, no session is counted (no ws_sessions,
// ws_connecting or ws_session_duration), and the socket is done once the
// VU's context is.

// endingVUContext gives e's VU a context whose deadline passes after
// deadline, and which is cancelled after a further gap.
func endingVUContext(e *env, deadline, gap time.Duration) context.Context {
	base, cancel := context.WithTimeout(context.Background(), deadline+gap)
	e.t.Cleanup(cancel)
	ctx := wstest.PastDeadline(base, time.Now().Add(deadline))
	e.vu.VU.CtxField = ctx
	return ctx
}

const openAndLog = `
	globalThis.log = [];
	const ws = new WebSocket(URL, null, {handshakeTimeout: "60s"});
	ws.onopen = () => log.push("open");
	ws.onerror = (e) => log.push("error: " + e.error);
	ws.onclose = () => log.push("close");
`

func TestWebSocketAfterTheEndCountsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vu.CancelContext()
	e.set("URL", e.srv.URL()+"/echo")
	e.mustRun(openAndLog)
	assert.Empty(t, e.get("log"), "no listener runs")
	assert.Empty(t, e.samples(), "no sample at all")
}

func TestWebSocketHandshakeCutOffByTheEndCountsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url, accepted := wstest.SilentListener(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		<-accepted
		e.vu.CancelContext()
	})
	e.set("URL", url)
	e.mustRun(openAndLog)
	wg.Wait()
	assert.Empty(t, e.get("log"), "no listener runs")
	assert.Empty(t, e.samples(), "no sample at all")
}

// TestWebSocketHandshakePastTheVUDeadlineIsAnInterruption: the VU's
// deadline passes during a handshake that handshakeTimeout allows a minute:
// that is the end of the test, not a timeout, and the iteration ends once
// the VU's context is done, not as soon as the deadline passed.
func TestWebSocketHandshakePastTheVUDeadlineIsAnInterruption(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := endingVUContext(e, 100*time.Millisecond, 500*time.Millisecond)
	e.set("URL", e.srv.URL()+"/hang")
	e.mustRun(openAndLog)
	require.Error(t, ctx.Err(), "the iteration ends once the VU's context is done")
	assert.Empty(t, e.get("log"), "no listener runs: no timeout error")
	assert.Empty(t, e.samples(), "no sample at all")
}

func TestWebSocketPastTheVUDeadlineCountsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := endingVUContext(e, 0, 300*time.Millisecond)
	e.set("URL", e.srv.URL()+"/echo")
	e.mustRun(openAndLog)
	require.Error(t, ctx.Err(), "the iteration ends once the VU's context is done")
	assert.Empty(t, e.get("log"), "no listener runs")
	assert.Empty(t, e.samples(), "no sample at all")
}
