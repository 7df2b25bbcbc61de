package websockets

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// The tests of this file hold WebSocketStream to the WHATWG draft and to
// k6's rule for what holds an iteration. Each script ends by setting
// finished: a script whose promise never settled ends its run without
// error, so the Go side checks that it got to the end.

func (e *env) requireFinished() {
	e.t.Helper()
	assert.Equal(e.t, true, e.global("finished"), "the script ran to its end")
}

func TestStreamAwaitedClosedHoldsTheIterationUntilThePeerCloses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.vu.VU.CtxField
	p := newStreamPeer(t)
	e.set("PEER", p.url)
	iteration := e.startIterationIn(base, `(async () => {
		const wss = new WebSocketStream(PEER);
		const { writable } = await wss.opened;
		await writable.getWriter().write("waiting");
		const { closeCode, reason } = await wss.closed;
		globalThis.closed = closeCode + " " + reason;
	})()`)
	require.Equal(t, "waiting", p.next())
	requireRunning(t, iteration, "the script awaits closed")
	p.close(4001, "bye")
	require.NoError(t, e.awaitIteration(iteration))
	assert.Equal(t, "4001 bye", e.global("closed"), "the code after await wss.closed ran in the iteration")
	assert.Equal(t, 0, e.registered())
}

func TestStreamClosedThenHoldsTheIteration(t *testing.T) {
	t.Parallel()
	for name, wait := range map[string]string{
		"then":         `wss.closed.then((c) => { globalThis.closed = c.closeCode; })`,
		"catch":        `wss.closed.catch(() => {}); wss.closed.then((c) => { globalThis.closed = c.closeCode; }, () => {})`,
		"finally":      `wss.closed.finally(() => { globalThis.closed = 4001; })`,
		"Promise.all":  `Promise.all([wss.closed]).then(([c]) => { globalThis.closed = c.closeCode; })`,
		"await inside": `(async () => { globalThis.closed = (await wss.closed).closeCode; })()`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			base := e.vu.VU.CtxField
			p := newStreamPeer(t)
			e.set("PEER", p.url)
			iteration := e.startIterationIn(base, `(async () => {
				globalThis.wss = new WebSocketStream(PEER);
				const { writable } = await wss.opened;
				`+wait+`;
				await writable.getWriter().write("waiting");
			})()`)
			require.Equal(t, "waiting", p.next())
			requireRunning(t, iteration, "the script waits on closed")
			p.close(4001, "")
			require.NoError(t, e.awaitIteration(iteration))
			assert.Equal(t, int64(4001), e.global("closed"))
		})
	}
}

func TestStreamUnawaitedReadHoldsTheIterationUntilItsMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.vu.VU.CtxField
	p := newStreamPeer(t)
	e.set("PEER", p.url)
	iteration := e.startIterationIn(base, `(async () => {
		globalThis.wss = new WebSocketStream(PEER);
		const { readable, writable } = await wss.opened;
		readable.getReader().read().then((r) => { globalThis.got = r.value; });
		writable.getWriter().write("reading");
	})()`)
	require.Equal(t, "reading", p.next())
	requireRunning(t, iteration, "a read() waits")
	p.send("hello")
	require.NoError(t, e.awaitIteration(iteration))
	assert.Equal(t, "hello", e.global("got"))
	assert.Equal(t, 0, e.registered(), "the open stream holds nothing once the read settled")
}

func TestStreamAwaitedWriteEndsTheIterationWhileMessagesCome(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.vu.VU.CtxField
	p := newStreamPeer(t)
	e.set("PEER", p.url)
	require.NoError(t, e.iterate(base, `(async () => {
		globalThis.wss = new WebSocketStream(PEER);
		const { readable, writable } = await wss.opened;
		globalThis.reader = readable.getReader();
		await writable.getWriter().write("one");
		globalThis.finished = true;
	})()`))
	e.requireFinished()
	assert.Equal(t, 0, e.registered(), "an open stream with nothing pending holds nothing")
	require.Equal(t, "one", p.next())
	p.send("after the iteration")
	require.NoError(t, e.iterate(base, `(async () => {
		eq((await reader.read()).value, "after the iteration", "the message waited for the next iteration");
		wss.close();
		await wss.closed;
	})()`))
}

func TestStreamClosedSettlesWhateverTheReadableHolds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/close?code=4000&reason=robot&after=2");
		const { readable, writable } = await wss.opened;
		const writer = writable.getWriter();
		await writer.write("a");
		await writer.write("b");
		const { closeCode, reason } = await wss.closed;
		eq(closeCode + " " + reason, "4000 robot", "closed, before any read");
		const reader = readable.getReader();
		eq((await reader.read()).value, "a", "first message kept");
		eq((await reader.read()).value, "b", "second message kept");
		eq((await reader.read()).done, true, "then done");
		globalThis.finished = true;
	})()`)
	e.requireFinished()
	assert.InDelta(t, 2, wstest.Sum(e.samples(), "ws_msgs_received"), 0,
		"messages read after the session ended are counted, once")
}

func TestStreamClosedRejectsOnADropWhateverTheReadableHolds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/drop?after=2");
		const { readable, writable } = await wss.opened;
		const writer = writable.getWriter();
		await writer.write("a");
		await writer.write("b");
		const err = await wss.closed.then(() => "resolved", (e) => e);
		assert(err instanceof WebSocketError, "closed rejects before any read: " + err);
		eq(err.closeCode, 1006, "closeCode");
		const reader = readable.getReader();
		eq((await reader.read()).value, "a", "first message kept");
		eq((await reader.read()).value, "b", "second message kept");
		eq(await reader.read().then(() => "resolved", (e) => e), err, "then the read rejects with the same error");
		globalThis.finished = true;
	})()`)
	e.requireFinished()
	assert.InDelta(t, 2, wstest.Sum(e.samples(), "ws_msgs_received"), 0)
}

func TestStreamCloseWithAnEmptyReasonSendsNoCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		for (const [info, want] of [[{ reason: "" }, 1005], [{}, 1005], [{ reason: "x" }, 1000]]) {
			const wss = new WebSocketStream(WS_URL + "/echo");
			await wss.opened;
			wss.close(info);
			eq((await wss.closed).closeCode, want, "the echo of close(" + JSON.stringify(info) + ")");
		}
		globalThis.finished = true;
	})()`)
	e.requireFinished()
}

func TestStreamErrorNames(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ code, want string }{
		"no url":             {`new WebSocketStream()`, "TypeError"},
		"null url":           {`new WebSocketStream(null)`, "TypeError"},
		"signal":             {`new WebSocketStream(WS_URL + "/echo", { signal: {} })`, "GoError"},
		"unknown option":     {`new WebSocketStream(WS_URL + "/echo", { nope: 1 })`, "GoError"},
		"not a url":          {`new WebSocketStream("not a url")`, "SyntaxError"},
		"ftp url":            {`new WebSocketStream("ftp://127.0.0.1/")`, "SyntaxError"},
		"fragment":           {`new WebSocketStream(WS_URL + "/echo#top")`, "SyntaxError"},
		"duplicate":          {`new WebSocketStream(WS_URL + "/echo", { protocols: ["a", "a"] })`, "SyntaxError"},
		"invalid protocol":   {`new WebSocketStream(WS_URL + "/echo", { protocols: ["a b"] })`, "SyntaxError"},
		"protocols string":   {`new WebSocketStream(WS_URL + "/echo", { protocols: "chat" })`, "TypeError"},
		"protocols number":   {`new WebSocketStream(WS_URL + "/echo", { protocols: [1] })`, "TypeError"},
		"options":            {`new WebSocketStream(WS_URL + "/echo", 5)`, "TypeError"},
		"close code":         {`new WebSocketStream(WS_URL + "/echo").close({ closeCode: 1001 })`, "InvalidAccessError"},
		"close reason":       {`new WebSocketStream(WS_URL + "/echo").close({ reason: "x".repeat(124) })`, "SyntaxError"},
		"code before reason": {`new WebSocketStream(WS_URL + "/echo").close({ closeCode: 1001, reason: "x".repeat(200) })`, "InvalidAccessError"},
		"close arg":          {`new WebSocketStream(WS_URL + "/echo").close(true)`, "TypeError"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mustRun(`
				try { ` + tc.code + `; } catch (e) { globalThis.thrown = e.name + ": " + e.message; }
				globalThis.finished = true;
			`)
			e.requireFinished()
			thrown, _ := e.global("thrown").(string)
			assert.Regexp(t, "^"+tc.want+": WebSocketStream", thrown)
		})
	}
}

func TestStreamWriteSendsAnythingElseAsText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/echo");
		const { readable, writable } = await wss.opened;
		const reader = readable.getReader();
		const writer = writable.getWriter();
		for (const [chunk, want] of [[42, "42"], [true, "true"], [null, "null"], [undefined, "undefined"],
			[{ toString() { return "custom"; } }, "custom"]]) {
			await writer.write(chunk);
			eq((await reader.read()).value, want, "the echo of " + want);
		}
		const boom = new Error("boom");
		const err = await writer.write({ toString() { throw boom; } }).then(() => "resolved", (e) => e);
		eq(err, boom, "a toString that throws rejects the write with what it threw");
		const symbol = await writer.write(Symbol("s")).then(() => "resolved", (e) => e);
		assert(symbol instanceof TypeError, "a Symbol rejects with a TypeError: " + symbol);
		wss.close();
		await wss.closed;
		globalThis.finished = true;
	})()`)
	e.requireFinished()
}

func TestStreamWritableIsErroredOnceClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const clean = new WebSocketStream(WS_URL + "/echo");
		let writer = (await clean.opened).writable.getWriter();
		clean.close();
		await clean.closed;
		let err = await writer.write("late").then(() => "resolved", (e) => e);
		eq(err.name, "InvalidStateError", "a write after a clean close");
		err = await writer.ready.then(() => "resolved", (e) => e);
		eq(err.name, "InvalidStateError", "ready after a clean close");
		eq(writer.desiredSize, null, "desiredSize of an errored writable");

		const dropped = new WebSocketStream(WS_URL + "/drop?after=1");
		writer = (await dropped.opened).writable.getWriter();
		await writer.write("x");
		const closedErr = await dropped.closed.then(() => "resolved", (e) => e);
		assert(closedErr instanceof WebSocketError, "closed rejects: " + closedErr);
		eq(await writer.write("late").then(() => "resolved", (e) => e), closedErr,
			"a write after an abrupt close rejects with closed's error");
		eq(await writer.ready.then(() => "resolved", (e) => e), closedErr, "ready too");
		globalThis.finished = true;
	})()`)
	e.requireFinished()
}

func TestStreamOpenedKeysInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		for (let i = 0; i < 16; i++) {
			const wss = new WebSocketStream(WS_URL + "/echo");
			eq(Object.keys(await wss.opened).join(), "readable,writable,extensions,protocol", "open " + i);
			wss.close();
			await wss.closed;
		}
		globalThis.finished = true;
	})()`)
	e.requireFinished()
}

func TestStreamClosedIsAPromise(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/echo");
		assert(wss.closed instanceof Promise, "closed is a Promise");
		eq(wss.closed, wss.closed, "the same promise every time");
		await wss.opened;
		wss.close({ closeCode: 4000 });
		eq((await Promise.resolve(wss.closed)).closeCode, 4000, "Promise.resolve follows it");
		let thrown;
		try { wss.closed.then.call(5); } catch (e) { thrown = e; }
		assert(thrown instanceof TypeError, "its then, called on something else, throws what Promise.prototype.then throws: " + thrown);
		globalThis.finished = true;
	})()`)
	e.requireFinished()
}

// TestStreamCountsEveryMessageOnce: messages read after the close, with the
// close seen before, are counted once each.
func TestStreamCountsEveryMessageOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const count = 300
	e.set("COUNT", count)
	e.mustRun(`(async () => {
		const wss = new WebSocketStream(WS_URL + "/close?code=4000&after=" + COUNT);
		const { readable, writable } = await wss.opened;
		const writer = writable.getWriter();
		const reader = readable.getReader();
		for (let i = 0; i < COUNT; i++) {
			await writer.write(String(i));
			if (i % 3 === 0) { eq((await reader.read()).value, String(i / 3), "echo " + i / 3); }
		}
		await wss.closed;
		let n = COUNT / 3;
		for (;;) {
			const { done } = await reader.read();
			if (done) break;
			n++;
		}
		eq(n, COUNT, "every message read");
		globalThis.finished = true;
	})()`)
	e.requireFinished()
	assert.InDelta(t, count, wstest.Sum(e.samples(), "ws_msgs_received"), 0)
}

func TestStreamClosedSettlesBehindMessagesNobodyReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.vu.VU.CtxField
	p := newStreamPeer(t)
	e.set("PEER", p.url)
	// The stream takes the first messages from the connection and then
	// takes no more while they are unread: the close that follows them
	// must still settle closed.
	iteration := e.startIterationIn(base, `(async () => {
		globalThis.wss = new WebSocketStream(PEER);
		const { readable, writable } = await wss.opened;
		globalThis.reader = readable.getReader();
		await writable.getWriter().write("waiting");
		globalThis.closed = (await wss.closed).closeCode;
	})()`)
	require.Equal(t, "waiting", p.next())
	for _, msg := range []string{"a", "b", "c", "d"} {
		p.send(msg)
	}
	p.close(4002, "")
	require.NoError(t, e.awaitIteration(iteration))
	assert.Equal(t, int64(4002), e.global("closed"))
	require.NoError(t, e.iterate(base, `(async () => {
		const got = [];
		for (;;) {
			const { value, done } = await reader.read();
			if (done) break;
			got.push(value);
		}
		eq(got.join(), "a,b,c,d", "the messages before the close");
		globalThis.finished = true;
	})()`))
	e.requireFinished()
}

func TestWebSocketErrorWithAnEmptyReasonHasNoCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
		eq(new WebSocketError("m", { reason: "" }).closeCode, null, "an empty reason without a code");
		eq(new WebSocketError("m", {}).closeCode, null, "neither");
		eq(new WebSocketError("m", { reason: "r" }).closeCode, 1000, "a reason without a code");
		eq(new WebSocketError("m", { closeCode: 4000 }).closeCode, 4000, "a code");
		globalThis.finished = true;
	`)
	e.requireFinished()
}
