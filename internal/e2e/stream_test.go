package e2e

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The WebSocketStream tests run scripts whose assertions are k6 checks:
// requireStreamChecks asserts that each named check ran the given number of
// times and never failed.

// streamTimeout bounds each run: a stream that kept k6 alive past the end of
// its test would make the run hit it and fail.
const streamTimeout = 60 * time.Second

// requireStreamChecks asserts that k6 exited 0 and that the checks named in
// want passed exactly that many times, with no check failing.
func requireStreamChecks(t *testing.T, run Run, want map[string]float64) {
	t.Helper()
	requireCleanRun(t, run, 0)
	got := make(map[string]float64)
	for _, c := range run.Summary.Checks() {
		assert.Zero(t, c.Fails, "check %q failed %d of %d times", c.Path, c.Fails, c.Passes+c.Fails)
		got[c.Name] = float64(c.Passes)
	}
	assert.Equal(t, want, got, "the checks that passed")
}

// requireOneSession asserts that the run had one WebSocket session, measured
// once, that the echo server saw one connection, and that the counters match
// what the server received.
func requireOneSession(t *testing.T, run Run) {
	t.Helper()
	assert.InDelta(t, 1, SumPoints(run.Points, metricSessions, nil), 0, "ws_sessions")
	assert.Equal(t, 1, CountPoints(run.Points, metricConnect, nil), "ws_connecting")
	assert.Equal(t, 1, CountPoints(run.Points, metricDuration, nil), "one ws_session_duration for the socket's life")
	stats := run.Server.Stats()
	assert.Equal(t, int64(1), stats.Connections, "connections the echo server accepted")
	assert.Zero(t, stats.OpenConnections, "connections still open after k6 exited")
	assert.InDelta(t, float64(stats.MessagesReceived), SumPoints(run.Points, metricSent, nil), 0,
		"ws_msgs_sent vs what the server received")
}

const acrossIterationsScript = `
import { WebSocketStream } from 'k6/x/websockets';
import { check } from 'k6';

export const options = {
	scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 20 } },
};

let stream;

export default async function () {
	if (!stream) {
		const wss = new WebSocketStream(__ENV.WS_URL + '/echo');
		const { readable, writable } = await wss.opened;
		stream = { reader: readable.getReader(), writer: writable.getWriter(), n: 0 };
	}
	const n = stream.n++;
	await stream.writer.write('request ' + n);
	const { value } = await stream.reader.read();
	check(value, { 'the answer of this iteration': (v) => v === 'request ' + n });
}
`

// TestStreamAcrossIterations: one stream, opened in the first iteration,
// serves 20 iterations of its VU over one connection; it is closed with the
// end of the test, and its session is measured once.
func TestStreamAcrossIterations(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, acrossIterationsScript, Options{Timeout: streamTimeout})
	requireStreamChecks(t, run, map[string]float64{"the answer of this iteration": 20})
	requireOneSession(t, run)
	assert.Equal(t, int64(20), run.Server.Stats().MessagesReceived, "every message reached the server")
	assert.InDelta(t, 20, SumPoints(run.Points, metricReceived, nil), 0, "ws_msgs_received")
	assert.InDelta(t, 20, run.Summary.Metric("iterations")["count"], 0, "iterations")
}

const durationEndScript = `
import { WebSocketStream } from 'k6/x/websockets';
import { check } from 'k6';

export const options = {
	scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '2s', gracefulStop: '0s' } },
};

let stream;

export default async function () {
	if (!stream) {
		const wss = new WebSocketStream(__ENV.WS_URL + '/echo');
		const { readable, writable } = await wss.opened;
		stream = { reader: readable.getReader(), writer: writable.getWriter() };
	}
	await stream.writer.write('ping');
	const { value } = await stream.reader.read();
	check(value, { 'echo': (v) => v === 'ping' });
}
`

// TestStreamOpenAtDurationEnd: streams busy when duration ends with
// gracefulStop 0s are torn down; the run ends (within its timeout) with 0,
// and each stream gets one ws_session_duration.
func TestStreamOpenAtDurationEnd(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, durationEndScript, Options{Timeout: streamTimeout})
	requireCleanRun(t, run, 0)
	assert.InDelta(t, 2, SumPoints(run.Points, metricSessions, nil), 0, "one session per VU")
	assert.Equal(t, 2, CountPoints(run.Points, metricDuration, nil), "one ws_session_duration per stream")
	stats := run.Server.Stats()
	assert.Equal(t, int64(2), stats.Connections)
	assert.Zero(t, stats.OpenConnections, "connections still open after k6 exited")
	assert.Positive(t, run.Summary.Metric("checks")["passes"], "the streams were used")
	assert.Zero(t, run.Summary.Metric("checks")["fails"])
}

const floodScript = `
import { WebSocketStream } from 'k6/x/websockets';
import http from 'k6/http';
import { check } from 'k6';

export const options = { iterations: 1 };

const count = 16384;
const size = 16384; // 256 MiB in all
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// heapInUse reads the Go heap in use from k6's pprof endpoint.
function heapInUse() {
	const res = http.get(__ENV.XK6WS_PPROF + '/debug/pprof/heap?debug=1', { tags: { probe: 'heap' } });
	const m = /# HeapInuse = (\d+)/.exec(String(res.body));
	return m ? Number(m[1]) : -1;
}

export default async function () {
	const wss = new WebSocketStream(__ENV.WS_URL + '/push?binary=true&count=' + count + '&size=' + size);
	const { readable } = await wss.opened;
	const reader = readable.getReader();
	let received = 0;
	let bytes = 0;
	let maxHeap = 0;
	while (received < count) {
		const { value, done } = await reader.read();
		if (done) { break; }
		received++;
		bytes += value.byteLength;
		if (received % 1024 === 0) {
			await pause(20); // read slowly: the server must wait
			maxHeap = Math.max(maxHeap, heapInUse());
		}
	}
	wss.close();
	await wss.closed;
	console.log('FLOOD ' + JSON.stringify({ received: received, bytes: bytes, maxHeap: maxHeap }));
}
`

// TestStreamFloodReadSlowly: a server sending 256 MiB as fast as it can,
// read slowly: every message arrives, and the heap stays far below the
// flood's size because the stream stops reading the socket while its
// bounded queue is full.
func TestStreamFloodReadSlowly(t *testing.T) {
	t.Parallel()
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, floodScript, probe.options(Options{Timeout: 2 * streamTimeout}))
	requireCleanRun(t, run, 0)
	msgs := consoleMessages(t, run, "FLOOD ")
	require.Len(t, msgs, 1)
	var flood struct {
		Received int   `json:"received"`
		Bytes    int64 `json:"bytes"`
		MaxHeap  int64 `json:"maxHeap"`
	}
	require.NoError(t, json.Unmarshal([]byte(msgs[0]), &flood))
	assert.Equal(t, 16384, flood.Received, "every message arrived")
	assert.Equal(t, int64(256<<20), flood.Bytes, "every byte arrived")
	assert.Positive(t, flood.MaxHeap, "the heap was measured")
	assert.Less(t, flood.MaxHeap, int64(128<<20), "the heap stays bounded while the script reads slowly")
	requireOneSession(t, run)
	assert.InDelta(t, 16384, SumPoints(run.Points, metricReceived, nil), 0, "ws_msgs_received")
}

const inOrderScript = `
import { WebSocketStream } from 'k6/x/websockets';
import { check } from 'k6';

export const options = { iterations: 1 };

const count = 4000;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function () {
	const wss = new WebSocketStream(__ENV.WS_URL + '/echo');
	const { readable, writable } = await wss.opened;
	const reader = readable.getReader();
	const writer = writable.getWriter();
	const padding = 'x'.repeat(4096);
	// The writer awaits every write while the reader, at its own pace,
	// checks that the echoes come back complete and in order.
	const writing = (async () => {
		for (let i = 0; i < count; i++) { await writer.write(i + ' ' + padding); }
	})();
	let inOrder = 0;
	for (let i = 0; i < count; i++) {
		const { value, done } = await reader.read();
		if (done) { break; }
		if (value === i + ' ' + padding) { inOrder++; }
		if (i % 500 === 0) { await pause(10); }
	}
	await writing;
	check(inOrder, { 'every echo, in order': (n) => n === count });
	wss.close();
	check((await wss.closed).closeCode, { 'closed cleanly': (c) => c === 1005 });
}
`

// TestStreamAwaitedWritesAgainstSlowReader: awaited writes to a peer whose
// answers are read slowly lose nothing and keep their order.
func TestStreamAwaitedWritesAgainstSlowReader(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, inOrderScript, Options{Timeout: streamTimeout})
	requireStreamChecks(t, run, map[string]float64{"every echo, in order": 1, "closed cleanly": 1})
	requireOneSession(t, run)
	assert.Equal(t, int64(4000), run.Server.Stats().MessagesReceived)
}

const refusedScript = `
import { WebSocketStream, WebSocketError } from 'k6/x/websockets';
import { check } from 'k6';
` + goroutineProbe + `

export const options = { iterations: 1 };

export default async function () {
	const wss = new WebSocketStream(__ENV.WS_URL + '/status?code=403&body=go+away');
	const opened = await wss.opened.then(() => null, (e) => e);
	const closed = await wss.closed.then(() => null, (e) => e);
	console.log('REFUSED ' + JSON.stringify({ message: String(opened), closeCode: opened && opened.closeCode }));
	check(opened, {
		'opened rejects with a WebSocketError': (e) => e instanceof WebSocketError,
		'the error says why': (e) => String(e).includes('403'),
		'its closeCode is 1006': (e) => e.closeCode === 1006,
	});
	check(closed, { 'closed rejects with the same error': (e) => e === opened });
}
`

// TestStreamRefusedHandshake: a refused handshake rejects opened and closed
// with a WebSocketError that tells why.
func TestStreamRefusedHandshake(t *testing.T) {
	t.Parallel()
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, refusedScript, probe.options(Options{Timeout: streamTimeout}))
	requireStreamChecks(t, run, map[string]float64{
		"opened rejects with a WebSocketError": 1, "the error says why": 1, "its closeCode is 1006": 1,
		"closed rejects with the same error": 1,
	})
	probe.requireNoneLeft(t, run)
	msgs := consoleMessages(t, run, "REFUSED ")
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0], "WebSocketError: WebSocketStream: connecting to")
	assert.Equal(t, "403", pointTag(t, run, metricSessions, "status"))
	assert.Equal(t, 1, CountPoints(run.Points, metricDuration, nil), "the failed session is measured too")
}

// pointTag returns tag of the first point of metric.
func pointTag(t *testing.T, run Run, metric, tag string) string {
	t.Helper()
	for _, p := range run.Points {
		if p.Metric == metric {
			return p.Tags[tag]
		}
	}
	t.Fatalf("no %s point", metric)
	return ""
}

const throwingScript = `
import { WebSocketStream } from 'k6/x/websockets';
import exec from 'k6/execution';
import { check } from 'k6';

export const options = {
	scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 3 } },
};

let stream;

export default async function () {
	if (!stream) {
		const wss = new WebSocketStream(__ENV.WS_URL + '/echo');
		const { readable, writable } = await wss.opened;
		stream = { reader: readable.getReader(), writer: writable.getWriter() };
		// A reaction that throws fails this iteration while a read waits.
		stream.reader.read();
		await stream.writer.write('first');
		await Promise.resolve().then(() => { throw new Error('handler boom'); });
	}
	await stream.writer.write('iteration ' + exec.vu.iterationInScenario);
	const { value } = await stream.reader.read();
	check(value, { 'the stream survives a failed iteration': (v) => v === 'first' || v.startsWith('iteration ') });
}
`

// TestStreamHandlerThrows: an exception in the iteration that opened the
// stream fails that iteration only; the next iterations use the stream.
func TestStreamHandlerThrows(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, throwingScript, Options{Timeout: streamTimeout})
	requireStreamChecks(t, run, map[string]float64{"the stream survives a failed iteration": 2})
	assert.Contains(t, run.Stderr, "handler boom", "the exception is reported")
	requireOneSession(t, run)
}

const moduleNamesScript = `
import { WebSocketStream as A, WebSocketError as EA } from 'k6/x/websockets';
import { WebSocketStream as B, WebSocketError as EB } from 'k6/websockets';
import { WebSocketStream as C, WebSocketError as EC } from 'k6/experimental/websockets';
import { check } from 'k6';

export const options = { iterations: 1 };

export default async function () {
	// Each name is its own instance of the module, with its own classes.
	check([A, B, C, EA, EB, EC].map((c) => c.name).join(), {
		'the classes under the three names': (names) =>
			names === 'WebSocketStream,WebSocketStream,WebSocketStream,WebSocketError,WebSocketError,WebSocketError',
	});
	for (const [name, Ctor] of [['x', A], ['k6', B], ['experimental', C]]) {
		const wss = new Ctor(__ENV.WS_URL + '/echo');
		const { readable, writable } = await wss.opened;
		await writable.getWriter().write(name);
		const { value } = await readable.getReader().read();
		check(value, { ['echo through ' + name]: (v) => v === name });
		wss.close();
		await wss.closed;
	}
}
`

// TestStreamModuleNames: k6/x/websockets and k6's two names export
// WebSocketStream and WebSocketError, and streams work under each.
func TestStreamModuleNames(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, moduleNamesScript, Options{Timeout: streamTimeout})
	want := map[string]float64{"the classes under the three names": 1}
	for _, name := range []string{"x", "k6", "experimental"} {
		want["echo through "+name] = 1
	}
	requireStreamChecks(t, run, want)
	assert.Equal(t, int64(3), run.Server.Stats().Connections)
	assert.Equal(t, 3, CountPoints(run.Points, metricDuration, nil), strconv.Itoa(3)+" sessions measured")
}

const stopScript = `
import { WebSocketStream } from 'k6/x/websockets';
import exec from 'k6/execution';

export const options = {
	scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '1m' } },
};

let stream;
let rounds = 0;

export default async function () {
	if (!stream) {
		const wss = new WebSocketStream(__ENV.WS_URL + '/echo');
		const { readable, writable } = await wss.opened;
		stream = { reader: readable.getReader(), writer: writable.getWriter() };
	}
	await stream.writer.write('ping');
	await stream.reader.read();
	rounds++;
	if (rounds === 20) {
		console.log('STREAM-BUSY');
		if (__ENV.ABORT && exec.vu.idInTest === 1) { exec.test.abort('the script gives up'); }
	}
}
`

// TestStreamStoppedBySignalOrAbort: streams busy when the test is
// interrupted (SIGINT) or aborted (exec.test.abort()) are torn down; k6
// ends with its usual exit code, long before the scenario's duration, and
// each stream's session is measured once.
func TestStreamStoppedBySignalOrAbort(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opts Options
		code int
	}{
		"SIGINT": {Options{Timeout: streamTimeout, Signal: &SignalAt{Output: "STREAM-BUSY"}}, 105},
		"abort":  {Options{Timeout: streamTimeout, Env: map[string]string{"ABORT": "1"}}, 108},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := RunK6Script(t, stopScript, tc.opts)
			requireCleanRun(t, run, tc.code)
			sessions := SumPoints(run.Points, metricSessions, nil)
			assert.GreaterOrEqual(t, sessions, 1.0, "the streams opened")
			assert.InDelta(t, sessions, float64(CountPoints(run.Points, metricDuration, nil)), 0,
				"one ws_session_duration per stream")
			stats := run.Server.Stats()
			assert.InDelta(t, sessions, float64(stats.Connections), 0, "one connection per stream")
			assert.Zero(t, stats.OpenConnections, "connections still open after k6 exited")
		})
	}
}

const closedFirstScript = `
import { WebSocketStream } from 'k6/websockets';
import { check } from 'k6';

export const options = { iterations: 1 };

export default async function () {
	const wss = new WebSocketStream(__ENV.WS_URL + '/close?code=4000&reason=robot&after=2');
	const { readable, writable } = await wss.opened;
	const writer = writable.getWriter();
	await writer.write('a');
	await writer.write('b');
	const { closeCode, reason } = await wss.closed;
	check(closeCode + ' ' + reason, { 'closed settles before any read': (v) => v === '4000 robot' });
	const reader = readable.getReader();
	const got = [];
	for (;;) {
		const { value, done } = await reader.read();
		if (done) { break; }
		got.push(value);
	}
	check(got.join(), { 'the messages are read after the close': (v) => v === 'a,b' });
	const late = await writer.write('late').then(() => 'resolved', (e) => e.name);
	check(late, { 'a write after the close is an InvalidStateError': (v) => v === 'InvalidStateError' });
}
`

// TestStreamAwaitClosedBeforeReading: in a real run, await wss.closed holds
// the iteration until the server closes, settles while the readable still
// holds messages, and those messages, read after the session ended, count in
// ws_msgs_received.
func TestStreamAwaitClosedBeforeReading(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, closedFirstScript, Options{Timeout: streamTimeout})
	requireStreamChecks(t, run, map[string]float64{
		"closed settles before any read": 1, "the messages are read after the close": 1,
		"a write after the close is an InvalidStateError": 1,
	})
	requireOneSession(t, run)
	assert.InDelta(t, 2, SumPoints(run.Points, metricReceived, nil), 0, "ws_msgs_received")
}
