package websockets

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// iterate runs code as one iteration of a k6 VU: with a context of its
// own, cancelled when the code and its promises are done, after which the
// event loop waits for the callbacks still registered, as k6's runner does.
func (e *env) iterate(parent context.Context, code string) error {
	e.t.Helper()
	return e.awaitIteration(e.startIterationIn(parent, code))
}

// startIterationIn runs code as an iteration, as iterate does, in the
// background; the channel gives its outcome.
func (e *env) startIterationIn(parent context.Context, code string) <-chan error {
	ctx, cancel := context.WithCancel(parent)
	e.vu.VU.CtxField = ctx
	done := make(chan error, 1)
	go func() {
		err := e.vu.EventLoop.Start(func() error {
			_, err := e.rt.RunString(code)
			return err
		})
		cancel()
		e.vu.EventLoop.WaitOnRegistered()
		done <- err
	}()
	return done
}

// awaitIteration returns the outcome of an iteration started in the
// background, failing the test if it does not end within runTimeout.
func (e *env) awaitIteration(iteration <-chan error) error {
	e.t.Helper()
	select {
	case err := <-iteration:
		return err
	case <-time.After(runTimeout):
		e.t.Fatalf("the iteration did not finish within %s", runTimeout)
		return nil
	}
}

// streamVar returns the stream behind the global variable name.
func (e *env) streamVar(name string) *wsStream {
	e.t.Helper()
	obj := e.rt.Get(name).ToObject(e.rt)
	ownSymbols, ok := sobek.AssertFunction(e.rt.Get("Object").ToObject(e.rt).Get("getOwnPropertySymbols"))
	require.True(e.t, ok)
	list, err := ownSymbols(sobek.Undefined(), obj)
	require.NoError(e.t, err)
	symbols := list.ToObject(e.rt)
	for i := range symbols.Get("length").ToInteger() {
		if key, ok := symbols.Get(strconv.FormatInt(i, 10)).(*sobek.Symbol); ok {
			if s, ok := obj.GetSymbol(key).Export().(*wsStream); ok {
				return s
			}
		}
	}
	e.t.Fatalf("%s is not a WebSocketStream", name)
	return nil
}

func TestStreamEcho(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/echo", { protocols: ["chat"] });
		eq(wss.url, WS_URL + "/echo", "url");
		eq(String(wss), "[object WebSocketStream]", "toString");
		const { readable, writable, protocol, extensions } = await wss.opened;
		eq(protocol, "chat", "protocol");
		eq(extensions, "", "extensions");
		eq(String(readable), "[object ReadableStream]", "readable");
		eq(String(writable), "[object WritableStream]", "writable");
		const reader = readable.getReader();
		const writer = writable.getWriter();
		assert(readable.locked && writable.locked, "locked");
		eq(writer.desiredSize, 1, "desiredSize");
		await writer.ready;
		await writer.write("héllo");
		await writer.write(new Uint8Array([1, 2, 255]));
		await writer.write(new Blob(["ab"]));
		let r = await reader.read();
		eq(JSON.stringify(r), JSON.stringify({ value: "héllo", done: false }), "text");
		r = await reader.read();
		assert(r.value instanceof Uint8Array, "binary is a Uint8Array: " + r.value);
		eq(Array.from(r.value).join(), "1,2,255", "binary");
		r = await reader.read();
		eq(Array.from(r.value).join(), "97,98", "blob");
		wss.close({ closeCode: 4000, reason: "done" });
		const closed = await wss.closed;
		eq(closed.closeCode, 4000, "closeCode");
		eq(closed.reason, "", "the echo server answers with the code only");
		r = await reader.read();
		eq(r.done, true, "done after close");
		eq(writer.desiredSize, null, "desiredSize once closed: the writable is errored");
		const late = await writer.write("late").then(() => "resolved", (err) => err);
		eq(late.name, "InvalidStateError", "a write once closed rejects");
	})()`)
	samples := e.samples()
	assert.Equal(t, 1, wstest.Count(samples, "ws_sessions"))
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"))
	assert.InDelta(t, 3, wstest.Sum(samples, "ws_msgs_sent"), 0)
	assert.InDelta(t, 3, wstest.Sum(samples, "ws_msgs_received"), 0)
	assert.Equal(t, "101", tagsOf(t, samples, "ws_session_duration")["status"])
	assert.Equal(t, 0, e.registered(), "nothing holds the event loop once closed")
}

func TestStreamAcrossIterations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.vu.VU.CtxField
	const iterations = 20
	for i := range iterations {
		err := e.iterate(base, `(async () => {
			if (!globalThis.wss) {
				globalThis.wss = new WebSocketStream(WS_URL + "/echo");
				const { readable, writable } = await wss.opened;
				globalThis.reader = readable.getReader();
				globalThis.writer = writable.getWriter();
				globalThis.sent = 0;
			}
			// the echo of the previous iteration's second message arrived
			// between iterations and waits in the queue
			if (sent > 0) {
				const { value } = await reader.read();
				eq(value, "late " + (sent - 1), "message kept between iterations");
			}
			await writer.write("req " + sent);
			const { value } = await reader.read();
			eq(value, "req " + sent, "response");
			await writer.write("late " + sent);
			sent++;
		})()`)
		require.NoError(t, err, "iteration %d", i)
		assert.Equal(t, 0, e.registered(), "iteration %d holds nothing once over", i)
	}
	require.NoError(t, e.iterate(base, `(async () => {
		await reader.read();
		wss.close();
		const { closeCode } = await wss.closed;
		eq(closeCode, 1005, "closed without a code");
	})()`))
	stats := e.srv.Stats()
	assert.Equal(t, int64(1), stats.Connections, "one connection for every iteration")
	assert.Equal(t, int64(2*iterations), stats.MessagesReceived)
	samples := e.samples()
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"))
	assert.InDelta(t, 2*iterations, wstest.Sum(samples, "ws_msgs_sent"), 0)
	assert.InDelta(t, 2*iterations, wstest.Sum(samples, "ws_msgs_received"), 0)
}

func TestStreamDoesNotKeepTheIterationAlive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.vu.VU.CtxField
	// The server echoes two messages, then closes. The first iteration
	// sends one and ends without waiting: nothing holds it, and the echo
	// waits in the queue for the next iteration, which sends the second.
	require.NoError(t, e.iterate(base, `(async () => {
		globalThis.wss = new WebSocketStream(WS_URL + "/close?code=4001&reason=bye&after=2");
		const { writable, readable } = await wss.opened;
		globalThis.reader = readable.getReader();
		globalThis.writer = writable.getWriter();
		await writer.write("one");
	})()`))
	assert.Equal(t, 0, e.registered())
	require.NoError(t, e.iterate(base, `(async () => {
		await writer.write("two");
		eq((await reader.read()).value, "one", "the echo that waited between the iterations");
		eq((await reader.read()).value, "two", "echo");
		eq((await reader.read()).done, true, "done");
		const { closeCode, reason } = await wss.closed;
		eq(closeCode, 4001, "closeCode");
		eq(reason, "bye", "reason");
		globalThis.finished = true;
	})()`))
	e.requireFinished()
	assert.Equal(t, 1, wstest.Count(e.samples(), "ws_session_duration"))
}

func TestStreamRefusedHandshake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/status?code=403");
		let opened, closed;
		await wss.opened.catch((err) => { opened = err; });
		await wss.closed.catch((err) => { closed = err; });
		assert(opened instanceof WebSocketError, "opened rejects with a WebSocketError: " + opened);
		assert(opened instanceof Error, "a WebSocketError is an Error");
		eq(opened.name, "WebSocketError", "name");
		eq(opened.closeCode, 1006, "closeCode");
		assert(opened.message.includes("403"), "the message says why: " + opened.message);
		eq(closed, opened, "closed rejects with the same error");
	})()`)
	samples := e.samples()
	assert.Equal(t, "403", tagsOf(t, samples, "ws_sessions")["status"])
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"))
}

func TestStreamUnhandledRejectionsAreNotReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// opened and closed are marked as handled: a script that never looks at
	// them does not fail when the handshake does.
	e.mustRun(`new WebSocketStream(WS_URL + "/status?code=500")`)
	assert.Equal(t, 0, e.registered())
}

func TestStreamCloseWhileConnecting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/hang");
		wss.close();
		const opened = await wss.opened.then(() => "resolved", (err) => err);
		const closed = await wss.closed.then(() => "resolved", (err) => err);
		assert(String(opened).includes("closed before the connection was established"), "opened: " + opened);
		eq(closed.closeCode, 1006, "closed");
	})()`)
}

func TestStreamAbnormalClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/drop?after=1");
		const { readable, writable } = await wss.opened;
		const reader = readable.getReader();
		await writable.getWriter().write("x");
		eq((await reader.read()).value, "x", "the message before the drop is delivered");
		const err = await reader.read().then(() => "resolved", (err) => err);
		assert(err instanceof WebSocketError, "reads reject after an abnormal close: " + err);
		eq(err.closeCode, 1006, "closeCode");
		const closed = await wss.closed.then(() => "resolved", (err) => err);
		eq(closed, err, "closed rejects with the same error");
	})()`)
}

func TestStreamReaderAndWriterLocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/echo");
		const { readable, writable } = await wss.opened;
		const reader = readable.getReader();
		throwsWith(() => readable.getReader(), "already locked", "second reader");
		const pending = reader.read();
		reader.releaseLock();
		const err = await pending.then(() => "resolved", (err) => err);
		assert(String(err).includes("released"), "a pending read rejects on releaseLock: " + err);
		assert(!readable.locked, "unlocked");
		const writer = writable.getWriter();
		throwsWith(() => writable.getWriter(), "already locked", "second writer");
		writer.releaseLock();
		const again = writable.getWriter();
		await again.write("after relock");
		const r2 = readable.getReader();
		eq((await r2.read()).value, "after relock", "read with a new reader");
		await r2.cancel();
		eq((await r2.read()).done, true, "done once cancelled");
		const closed = await wss.closed;
		eq(closed.closeCode, 1005, "cancel closes without a code");
	})()`)
}

func TestStreamAbortWithWebSocketError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/echo");
		const { writable } = await wss.opened;
		await writable.getWriter().abort(new WebSocketError("bye", { closeCode: 4002, reason: "aborted" }));
		const { closeCode, reason } = await wss.closed;
		eq(closeCode, 4002, "closeCode");
		eq(reason, "", "the echo server answers with the code only");
	})()`)
}

func TestStreamWriterCloseWaitsForWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/echo");
		const { readable, writable } = await wss.opened;
		const writer = writable.getWriter();
		writer.write("a");
		writer.write("b");
		await writer.close();
		const reader = readable.getReader();
		const got = [];
		for (;;) {
			const { value, done } = await reader.read();
			if (done) break;
			got.push(value);
		}
		eq(got.join(), "a,b", "messages before close");
		eq((await wss.closed).closeCode, 1005, "closed");
	})()`)
}

func TestStreamFloodReadSlowly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const count = 5000
	e.set("COUNT", count)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/push?count=" + COUNT + "&size=64");
		const { readable } = await wss.opened;
		const reader = readable.getReader();
		let n = 0;
		while (n < COUNT) {
			const { value, done } = await reader.read();
			if (done) break;
			eq(value.length, 64, "size");
			n++;
			if (n % 500 === 0) { await new Promise((resolve) => setTimeout(resolve, 1)); }
		}
		eq(n, COUNT, "every message");
		wss.close();
		await wss.closed;
	})()`)
	assert.InDelta(t, count, wstest.Sum(e.samples(), "ws_msgs_received"), 0)
}

func TestStreamIterationEndsWithAPendingRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.vu.VU.CtxField
	// The iteration throws while a read() waits: it ends all the same, and
	// the next iteration gets the message that the abandoned read would
	// have taken.
	err := e.iterate(base, `(async () => {
		globalThis.wss = new WebSocketStream(WS_URL + "/echo");
		const { readable, writable } = await wss.opened;
		globalThis.reader = readable.getReader();
		globalThis.writer = writable.getWriter();
		reader.read().then(() => { globalThis.stolen = true; });
		throw new Error("boom");
	})()`)
	require.ErrorContains(t, err, "boom")
	assert.Equal(t, 0, e.registered())
	require.NoError(t, e.iterate(base, `(async () => {
		await writer.write("kept");
		eq((await reader.read()).value, "kept", "the next read gets the message");
		assert(!globalThis.stolen, "the abandoned read got nothing");
		wss.close();
		await wss.closed;
	})()`))
}

func TestStreamVUStopTearsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run, stopRun := context.WithCancelCause(e.vu.VU.CtxField)
	defer stopRun(nil)
	require.NoError(t, e.iterate(run, `(async () => {
		globalThis.wss = new WebSocketStream(WS_URL + "/echo");
		const { readable } = await wss.opened;
		globalThis.reader = readable.getReader();
	})()`))
	s := e.streamVar("wss")
	// The next iteration waits on a read when the scenario ends.
	errc := e.startIterationIn(run, `(async () => { await reader.read(); })()`)
	require.Eventually(t, func() bool { return e.registered() > 0 }, runTimeout, time.Millisecond)
	stopRun(context.DeadlineExceeded)
	require.NoError(t, e.awaitIteration(errc))
	select {
	case <-s.conn.Done():
	case <-time.After(runTimeout):
		t.Fatal("the connection outlived the VU")
	}
	s.life.stopAll(errTestEnded) // what k6's TestEnd event does
	samples := e.samples()
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"))
}

func TestStreamArguments(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ code, want string }{
		"no new":       {`WebSocketStream.call({}, WS_URL + "/echo")`, "please use the 'new' operator"},
		"no url":       {`new WebSocketStream()`, "url is required"},
		"ftp url":      {`new WebSocketStream("ftp://127.0.0.1/")`, "SyntaxError"},
		"options":      {`new WebSocketStream(WS_URL, 5)`, "options must be an object, got number 5"},
		"protocols":    {`new WebSocketStream(WS_URL, { protocols: [1] })`, "options.protocols[0] must be a string"},
		"signal":       {`new WebSocketStream(WS_URL, { signal: {} })`, "options.signal is not supported"},
		"unknown":      {`new WebSocketStream(WS_URL, { nope: 1 })`, "nope"},
		"timeout":      {`new WebSocketStream(WS_URL, { handshakeTimeout: "x" })`, "handshakeTimeout"},
		"close code":   {`new WebSocketStream(WS_URL + "/echo").close({ closeCode: 1001 })`, "closeCode must be 1000 or between 3000 and 4999"},
		"close reason": {`new WebSocketStream(WS_URL + "/echo").close({ reason: "x".repeat(124) })`, "reason must be at most 123 bytes"},
		"close arg":    {`new WebSocketStream(WS_URL + "/echo").close(3)`, "must be an object { closeCode, reason }"},
		"error code":   {`new WebSocketError("x", { closeCode: 1006 })`, "closeCode must be 1000 or between 3000 and 4999"},
		"not a stream": {`Object.getOwnPropertyDescriptor(WebSocketStream.prototype, "url").get.call({})`, "not a WebSocketStream"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			require.ErrorContains(t, e.run(tc.code), tc.want)
		})
	}
}

func TestStreamInitContext(t *testing.T) {
	t.Parallel()
	vu := wstest.NewVU(t, New(), "")
	_, err := vu.Run(`new WebSocketStream("ws://127.0.0.1:1/echo")`)
	require.ErrorContains(t, err, "using websockets in the init context is not supported")
}

func TestWebSocketError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
		const err = new WebSocketError("gone", { closeCode: 4000, reason: "why" });
		assert(err instanceof Error, "an Error");
		eq(String(err), "WebSocketError: gone", "toString");
		eq(err.closeCode, 4000, "closeCode");
		eq(err.reason, "why", "reason");
		const bare = new WebSocketError();
		eq(bare.closeCode, null, "no closeCode");
		eq(bare.message, "", "no message");
		eq(new WebSocketError("m", { reason: "r" }).closeCode, 1000, "a reason without a code is 1000");
	`)
}

func TestStreamWritesWaitForRoom(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The peer never reads: once TCP's buffers and the stream's default
	// write queue of 1 MiB are full, writes wait (their promises stay
	// pending, desiredSize drops below 0, ready is pending) instead of
	// failing or growing memory; closing ends them all (the close handshake
	// times out).
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/slowread", { closeTimeout: "200ms" });
		const { writable } = await wss.opened;
		const writer = writable.getWriter();
		const chunk = new Uint8Array(1 << 20);
		const count = 64;
		let queued = 0, rejected = 0;
		const writes = [];
		for (let i = 0; i < count; i++) {
			writes.push(writer.write(chunk).then(() => { queued++; }, () => { rejected++; }));
		}
		assert(writer.desiredSize < 0, "writes wait for room: desiredSize " + writer.desiredSize);
		let ready = false;
		writer.ready.then(() => { ready = true; }, () => {});
		await Promise.resolve();
		assert(!ready, "ready is pending while writes wait");
		wss.close();
		await Promise.all(writes);
		eq(queued + rejected, count, "every write settled");
		assert(rejected > 0, "the writes still waiting were rejected");
		const closed = await wss.closed.then(() => "resolved", (err) => err);
		eq(closed.closeCode, 1006, "the close handshake timed out");
	})()`)
	assert.Equal(t, 0, e.registered())
}
