package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The bad-input tests feed both APIs what a script can get wrong: params
// keys of the wrong type, bad URLs, bad close codes and reasons, sends
// after close, huge messages, throwing handlers and 10k listeners. Each
// attempt logs "TRY {name, threw, error, value}"; the test checks that k6
// neither panicked nor hung, and that every error is a JavaScript
// exception (or, where the API says so, a Response error or error event)
// that names the argument and what it accepts.

// badInputCommon is JavaScript shared by both scripts.
const badInputCommon = goroutineProbe + `
const WS = __ENV.WS_URL;
const MiB = 1 << 20;

function record(r) { console.log('TRY ' + JSON.stringify(r)); }

// attempt runs fn and records whether it threw, and what.
function attempt(name, fn) {
	try {
		const value = fn();
		record({ name: name, threw: false, value: value === undefined ? null : value });
	} catch (e) {
		record({ name: name, threw: true, error: String(e) });
	}
}

// wrongParams are params objects with a wrong value for each key.
const wrongParams = {
	'params-string': 'fast',
	'params-array': [1, 2],
	'headers-number': { headers: 5 },
	'headers-object-value': { headers: { 'X-A': { nested: true } } },
	'tags-string': { tags: 'mine' },
	'tags-nested': { tags: { a: { b: 1 } } },
	'jar-object': { jar: {} },
	'compression-gzip': { compression: 'gzip' },
	'handshakeTimeout-word': { handshakeTimeout: 'soon' },
	'handshakeTimeout-negative': { handshakeTimeout: -1 },
	'handshakeTimeout-object': { handshakeTimeout: {} },
	'handshakeTimeout-infinite': { handshakeTimeout: Infinity },
	'closeTimeout-zero': { closeTimeout: 0 },
	'closeTimeout-boolean': { closeTimeout: true },
	'maxMessageSize-negative': { maxMessageSize: -5 },
	'maxMessageSize-fraction': { maxMessageSize: 1.5 },
	'maxMessageSize-string': { maxMessageSize: '1024' },
	'maxMessageSize-NaN': { maxMessageSize: NaN },
};
`

// badInputSocketAPI tries bad inputs on k6/ws.
const badInputSocketAPI = `
import ws from 'k6/ws';
` + badInputCommon + `
export const options = { vus: 1, iterations: 1 };

function noop() {}

function badArguments() {
	attempt('no-arguments', () => ws.connect());
	attempt('url-null', () => ws.connect(null, noop));
	attempt('callback-string', () => ws.connect(WS + '/echo', {}, 'later'));
	for (const name of Object.keys(wrongParams)) {
		attempt(name, () => ws.connect(WS + '/echo', wrongParams[name], noop));
	}
	attempt('subprotocols-number', () => ws.connect(WS + '/echo', { subprotocols: 5 }, noop));
	attempt('subprotocols-twice', () => ws.connect(WS + '/echo', { subprotocols: ['a', 'a'] }, noop));
	attempt('subprotocols-space', () => ws.connect(WS + '/echo', { subprotocols: ['a b'] }, noop));
}

// badURLs: a URL that cannot be dialled is a Response error, as in k6.
function badURLs() {
	const urls = {
		'url-http': 'http://127.0.0.1/',
		'url-words': 'not a url',
		'url-no-host': 'ws://',
		'url-refused': 'ws://127.0.0.1:1/',
	};
	for (const name of Object.keys(urls)) {
		attempt(name, () => {
			const res = ws.connect(urls[name], noop);
			return { status: res.status, error: res.error };
		});
	}
}

// onOpenSocket tries bad calls on an open socket, then after close().
function onOpenSocket() {
	ws.connect(WS + '/echo', { tags: { case: 'open-socket' } }, (socket) => {
		const errors = [];
		socket.on('error', (e) => errors.push(e.error()));
		socket.on('open', () => {
			for (const code of [999, 1004, 1005, 1006, 1015, 2999, 5000]) {
				attempt('close-code-' + code, () => socket.close(code));
			}
			attempt('close-reason-124-bytes', () => socket.close(1000, 'x'.repeat(124)));
			attempt('close-reason-124-utf8-bytes', () => socket.close(1000, '\u00e9'.repeat(62)));
			attempt('sendBinary-string', () => socket.sendBinary('text'));
			attempt('setTimeout-negative', () => socket.setTimeout(noop, -1));
			attempt('setTimeout-not-function', () => socket.setTimeout('noop', 10));
			attempt('setInterval-NaN', () => socket.setInterval(noop, NaN));
			socket.close(1000, 'done');
			attempt('send-after-close', () => { socket.send('late'); return errors.slice(); });
			attempt('sendBinary-after-close', () => { socket.sendBinary(new ArrayBuffer(4)); return errors.slice(); });
			attempt('ping-after-close', () => { socket.ping(); return errors.slice(); });
			attempt('close-again', () => socket.close(4000));
		});
	});
}

// huge sends 32 MiB of text and 32 MiB of binary and waits for the echoes.
function huge() {
	const sizes = [];
	const t0 = Date.now();
	ws.connect(WS + '/echo', { tags: { case: 'huge' } }, (socket) => {
		socket.on('open', () => {
			socket.send('y'.repeat(32 * MiB));
			socket.sendBinary(new Uint8Array(32 * MiB).fill(7).buffer);
		});
		socket.on('message', (m) => { sizes.push(m.length); });
		socket.on('binaryMessage', (m) => { sizes.push(m.byteLength); if (sizes.length === 2) { socket.close(1000); } });
		socket.setTimeout(() => socket.close(1000), 20000);
	});
	record({ name: 'huge-messages', threw: false, value: { sizes: sizes, ms: Date.now() - t0 } });
}

// manyListeners registers 10k message handlers and counts their calls.
function manyListeners() {
	let calls = 0;
	ws.connect(WS + '/echo', { tags: { case: 'listeners' } }, (socket) => {
		for (let i = 0; i < 10000; i++) { socket.on('message', () => { calls++; }); }
		socket.on('open', () => socket.send('once'));
		socket.on('message', () => socket.close(1000));
		socket.setTimeout(() => socket.close(1000), 10000);
	});
	record({ name: '10k-listeners', threw: false, value: { calls: calls } });
}

// throwing handlers: connect throws the handler's exception.
function throwing() {
	attempt('throw-in-callback', () => ws.connect(WS + '/echo', { tags: { case: 'throw-in-callback' } },
		() => { throw new Error('thrown by the callback'); }));
	attempt('throw-in-open', () => ws.connect(WS + '/echo', { tags: { case: 'throw-in-open' } }, (socket) => {
		socket.on('open', () => { throw new Error('thrown by open'); });
	}));
	attempt('throw-in-message', () => ws.connect(WS + '/echo', { tags: { case: 'throw-in-message' } }, (socket) => {
		socket.on('open', () => socket.send('x'));
		socket.on('message', () => { throw new TypeError('thrown by message'); });
	}));
	attempt('throw-in-timer', () => ws.connect(WS + '/echo', { tags: { case: 'throw-in-timer' } }, (socket) => {
		socket.setTimeout(() => { throw 'a bare string'; }, 10);
	}));
}

export default function () {
	badArguments();
	badURLs();
	onOpenSocket();
	huge();
	manyListeners();
	throwing();
	record({ name: 'end', threw: false, value: 'the iteration went on' });
}
`

// badInputWebSocketClass tries bad inputs on the WebSocket class and Blob.
const badInputWebSocketClass = `
import { WebSocket, Blob } from 'k6/websockets';
import exec from 'k6/execution';
` + badInputCommon + `
export const options = {
	scenarios: {
		inputs: { executor: 'per-vu-iterations', vus: 1, iterations: 1, exec: 'inputs' },
		throws: { executor: 'per-vu-iterations', vus: 1, iterations: 1, exec: 'throws' },
	},
};

function badArguments() {
	attempt('no-arguments', () => new WebSocket());
	attempt('url-ftp', () => new WebSocket('ftp://127.0.0.1/'));
	attempt('url-words', () => new WebSocket('not a url'));
	attempt('url-no-host', () => new WebSocket('ws://'));
	attempt('url-fragment', () => new WebSocket(WS + '/echo#top'));
	attempt('url-bad-escape', () => new WebSocket('ws://127.0.0.1/%zz'));
	attempt('protocols-number', () => new WebSocket(WS + '/echo', 5));
	attempt('protocols-twice', () => new WebSocket(WS + '/echo', ['a', 'a']));
	attempt('protocols-space', () => new WebSocket(WS + '/echo', ['a b']));
	for (const name of Object.keys(wrongParams)) {
		attempt(name, () => new WebSocket(WS + '/echo', undefined, wrongParams[name]));
	}
	attempt('params-unknown-key', () => new WebSocket(WS + '/echo', undefined, { subprotocols: ['a'] }));
}

function badBlobs() {
	attempt('blob-parts-number', () => new Blob(5));
	attempt('blob-options-string', () => new Blob([], 'text/plain'));
	attempt('blob-endings', () => new Blob([], { endings: 'windows' }));
	const blob = new Blob(['0123456789']);
	const slices = [[-1], [5, 2], [0, 1e9], [-1e20, 1e20], [NaN, Infinity], [3, -3], [2 ** 64 + 4096]];
	attempt('blob-slices', () => slices.map((a) => blob.slice(...a).size));
}

// onOpenSocket tries bad calls on an open socket, then after close().
function onOpenSocket() {
	const socket = new WebSocket(WS + '/echo', undefined, { tags: { case: 'open-socket' } });
	attempt('send-while-connecting', () => socket.send('early'));
	attempt('binaryType-text', () => { socket.binaryType = 'text'; return socket.binaryType; });
	attempt('onmessage-number', () => { socket.onmessage = 5; });
	attempt('addEventListener-number', () => socket.addEventListener('message', 5));
	socket.onopen = () => {
		for (const code of [999, 1001, 1005, 2999, 5000, 'abc']) {
			attempt('close-code-' + code, () => socket.close(code));
		}
		attempt('close-reason-124-bytes', () => socket.close(1000, 'x'.repeat(124)));
		attempt('close-reason-124-utf8-bytes', () => socket.close(1000, '\u00e9'.repeat(62)));
		attempt('send-number', () => socket.send(5));
		attempt('send-object', () => socket.send({ a: 1 }));
		socket.close(1000, 'done');
		attempt('send-after-close', () => { socket.send('late'); return socket.bufferedAmount; });
		attempt('ping-after-close', () => socket.ping());
		attempt('close-again', () => socket.close(4000));
	};
}

// huge sends 32 MiB of text and 32 MiB of binary and waits for the echoes.
function huge() {
	const sizes = [];
	const t0 = Date.now();
	const socket = new WebSocket(WS + '/echo', undefined, { tags: { case: 'huge' } });
	socket.binaryType = 'arraybuffer';
	socket.onopen = () => {
		socket.send('y'.repeat(32 * MiB));
		socket.send(new Uint8Array(32 * MiB).fill(7));
	};
	socket.onmessage = (e) => {
		sizes.push(typeof e.data === 'string' ? e.data.length : e.data.byteLength);
		if (sizes.length === 2) { socket.close(1000); }
	};
	socket.onclose = () => record({ name: 'huge-messages', threw: false, value: { sizes: sizes, ms: Date.now() - t0 } });
}

// manyListeners registers 10k distinct message listeners, and one listener
// 10k times (the duplicates are ignored), and counts their calls.
function manyListeners() {
	let calls = 0;
	let same = 0;
	const socket = new WebSocket(WS + '/echo', undefined, { tags: { case: 'listeners' } });
	const once = () => { same++; };
	for (let i = 0; i < 10000; i++) {
		socket.addEventListener('message', () => { calls++; });
		socket.addEventListener('message', once);
	}
	socket.onopen = () => socket.send('once');
	socket.onmessage = () => socket.close(1000);
	socket.onclose = () => record({ name: '10k-listeners', threw: false, value: { calls: calls, same: same } });
}

export function inputs() {
	badArguments();
	badBlobs();
	onOpenSocket();
	huge();
	manyListeners();
	record({ name: 'end', threw: false, value: 'the iteration went on' });
}

// throws: a listener that throws ends the iteration, as in k6.
export function throws() {
	const socket = new WebSocket(WS + '/echo', undefined, { tags: { case: 'throw-in-message' } });
	socket.onopen = () => socket.send('x');
	socket.onmessage = () => { throw new Error('thrown by a listener'); };
	socket.onclose = () => record({ name: 'throws-close-ran', threw: false, value: null });
}
`

// tryRecord is one attempt the script logged.
type tryRecord struct {
	Threw bool   `json:"threw"`
	Error string `json:"error"`
	Value any    `json:"value"`
}

// runBadInput runs a bad-input script and returns its attempts by name.
func runBadInput(t *testing.T, script string) (Run, map[string]tryRecord) {
	t.Helper()
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, script, probe.options(Options{}))
	requireCleanRun(t, run, 0)
	probe.requireNoneLeft(t, run)
	tries := consoleRecords[tryRecord](t, run, "TRY ")
	t.Logf("%d attempts recorded", len(tries))
	return run, tries
}

// requireThrows checks that each attempt threw an error matching its
// pattern.
func requireThrows(t *testing.T, tries map[string]tryRecord, want map[string]string) {
	t.Helper()
	for name, pattern := range want {
		r, ok := tries[name]
		if !assert.True(t, ok, "attempt %s was not made", name) {
			continue
		}
		if assert.True(t, r.Threw, "%s: must throw, returned %v", name, r.Value) {
			assert.Regexp(t, pattern, r.Error, "%s: the error names the argument and what it takes", name)
		}
	}
}

// paramsErrors are the errors of the wrongParams of badInputCommon, after
// the name of the call.
var paramsErrors = map[string]string{
	"params-string":             `params must be an object, got string "fast"`,
	"params-array":              `params must be an object, got Array`,
	"headers-number":            `params.headers must be an object of header names to values, got number 5`,
	"headers-object-value":      `params.headers\["X-A"\] must be a string, number or boolean, got Object`,
	"tags-string":               `invalid params.tags: must be an object of tag names to values, got string "mine"`,
	"tags-nested":               `invalid params.tags: .*\ba\b`,
	"jar-object":                `params.jar must be a CookieJar from k6/http .*, got Object`,
	"compression-gzip":          `unsupported compression algorithm 'gzip', supported algorithm is 'deflate'`,
	"handshakeTimeout-word":     `params.handshakeTimeout must be a duration such as "1s" or "500ms", got "soon"`,
	"handshakeTimeout-negative": `params.handshakeTimeout must be greater than zero, got -1ms`,
	"handshakeTimeout-object":   `params.handshakeTimeout must be a duration string such as "1s" or a number of milliseconds, got Object`,
	"handshakeTimeout-infinite": `params.handshakeTimeout must be a finite number of milliseconds, got \+Inf`,
	"closeTimeout-zero":         `params.closeTimeout must be greater than zero, got 0s`,
	"closeTimeout-boolean":      `params.closeTimeout must be a duration string such as "1s" or a number of milliseconds, got boolean true`,
	"maxMessageSize-negative":   `params.maxMessageSize must be a whole number of bytes greater than zero, got -5`,
	"maxMessageSize-fraction":   `params.maxMessageSize must be a whole number of bytes greater than zero, got 1.5`,
	"maxMessageSize-string":     `params.maxMessageSize must be a number of bytes, got string "1024"`,
	"maxMessageSize-NaN":        `params.maxMessageSize must be a whole number of bytes greater than zero, got NaN`,
}

func TestBadInputSocketAPI(t *testing.T) {
	t.Parallel()
	run, tries := runBadInput(t, badInputSocketAPI)

	want := map[string]string{
		"no-arguments":                `ws.connect expects \(url, callback\) or \(url, params, callback\), got 0 arguments`,
		"url-null":                    `ws.connect: url must be a ws:// or wss:// URL string, got null`,
		"callback-string":             `ws.connect: the last argument \(callback\) must be a function, got string "later"`,
		"subprotocols-number":         `params.subprotocols must be a string or an array of strings, got number 5`,
		"subprotocols-twice":          `params.subprotocols: subprotocol "a" is given twice`,
		"subprotocols-space":          `params.subprotocols: "a b" is not a valid subprotocol name`,
		"close-reason-124-bytes":      `socket.close: reason must be valid UTF-8 of at most 123 bytes, got 124 bytes`,
		"close-reason-124-utf8-bytes": `socket.close: reason must be valid UTF-8 of at most 123 bytes, got 124 bytes`,
		"sendBinary-string":           `^GoError: expected ArrayBuffer as argument, received: String \(socket.sendBinary takes an ArrayBuffer, a typed array or a DataView; got string "text"\)`,
		"setTimeout-negative":         `setTimeout requires a >0 timeout parameter, received -1.00`,
		"setTimeout-not-function":     `socket.setTimeout: the first argument must be a function, got string "noop"`,
		"setInterval-NaN":             `socket.setInterval: the timeout must be a number of milliseconds`,
		"throw-in-callback":           `Error: thrown by the callback`,
		"throw-in-open":               `Error: thrown by open`,
		"throw-in-message":            `TypeError: thrown by message`,
		"throw-in-timer":              `^a bare string$`,
	}
	for name, pattern := range paramsErrors {
		want[name] = `ws.connect: ` + pattern
	}
	for _, code := range []string{"999", "1004", "1005", "1006", "1015", "2999", "5000"} {
		want["close-code-"+code] = `socket.close: code must be 1000-1003, 1007-1014 or 3000-4999, got ` + code
	}
	requireThrows(t, tries, want)

	for name, pattern := range map[string]string{
		"url-http":    `malformed ws or wss URL`,
		"url-words":   `malformed ws or wss URL`,
		"url-no-host": `websocket: url "ws://" has no host`,
		"url-refused": `connection refused`,
	} {
		r := tries[name]
		assert.False(t, r.Threw, "%s: a bad URL is a Response error, as in k6: %s", name, r.Error)
		res, _ := r.Value.(map[string]any)
		assert.Equal(t, 0.0, res["status"], "%s: status", name)
		assert.Regexp(t, pattern, res["error"], "%s: Response.error", name)
	}
	for _, name := range []string{"send-after-close", "sendBinary-after-close", "ping-after-close"} {
		r := tries[name]
		assert.False(t, r.Threw, "%s: an error event, not an exception, as in k6", name)
		errs, _ := r.Value.([]any)
		if assert.NotEmpty(t, errs, "%s: an error event", name) {
			assert.Equal(t, "websocket: close sent", errs[len(errs)-1], "%s: k6's error text", name)
		}
	}
	assert.False(t, tries["close-again"].Threw, "close after close does nothing")

	requireBigAndMany(t, tries, false)
	assert.Contains(t, tries, "end", "the iteration went on after every attempt")
	for _, name := range []string{"open-socket", "huge", "listeners", "throw-in-callback", "throw-in-open", "throw-in-message", "throw-in-timer"} {
		requireWholeSession(t, run, name)
	}
	requireMessageCounts(t, run, "huge", 2, 2)
	requireMessageCounts(t, run, "listeners", 1, 1)
}

func TestBadInputWebSocketClass(t *testing.T) {
	t.Parallel()
	run, tries := runBadInput(t, badInputWebSocketClass)

	want := map[string]string{
		"no-arguments":                `WebSocket: url is required, got undefined`,
		"url-ftp":                     `SyntaxError: WebSocket: url "ftp://127.0.0.1/" must use the ws, wss, http or https scheme, got "ftp"`,
		"url-words":                   `SyntaxError: WebSocket: url "not a url" must use the ws, wss, http or https scheme, got ""`,
		"url-no-host":                 `SyntaxError: WebSocket: url "ws://" has no host`,
		"url-fragment":                `SyntaxError: WebSocket: url ".*/echo#top" must not have a fragment`,
		"url-bad-escape":              `SyntaxError: WebSocket: url "ws://127.0.0.1/%zz" is not a valid URL`,
		"protocols-number":            `invalid protocols argument: WebSocket: protocols must be a string or an array of strings, got number 5`,
		"protocols-twice":             `invalid protocols argument: WebSocket: protocols: subprotocol "a" is given twice`,
		"protocols-space":             `invalid protocols argument: WebSocket: protocols: "a b" is not a valid subprotocol name`,
		"params-unknown-key":          `unknown WebSocket's option subprotocols \(allowed: headers, tags, jar, compression, handshakeTimeout, closeTimeout, maxMessageSize, writeQueueBytes, readQueueBytes, readQueueMessages, correlate, autoReply\)`,
		"blob-parts-number":           `TypeError: Blob: blobParts must be an array \(or another iterable\) .*, got number 5`,
		"blob-options-string":         `TypeError: Blob: options must be an object such as \{type: 'text/plain'\}, got string "text/plain"`,
		"blob-endings":                `TypeError: Blob: options.endings must be "transparent" or "native", got "windows"`,
		"send-while-connecting":       `InvalidStateError: .*still in the CONNECTING state`,
		"onmessage-number":            `WebSocket.onmessage must be a function or null, got number 5`,
		"addEventListener-number":     `WebSocket.addEventListener: the listener for event type "message" must be a function, got number 5`,
		"close-code-abc":              `InvalidAccessError: .*The close code must be either 1000, or between 3000 and 4999. 0 is neither`,
		"close-reason-124-bytes":      `SyntaxError: .*The message must not be greater than 123 bytes, got 124`,
		"close-reason-124-utf8-bytes": `SyntaxError: .*The message must not be greater than 123 bytes, got 124`,
		"send-number":                 `WebSocket.send: data must be a string, an ArrayBuffer, an ArrayBufferView .* or a Blob, got number 5`,
		"send-object":                 `WebSocket.send: data must be a string, .*, got Object`,
		"ping-after-close":            `InvalidStateError: .*the WebSocket is in the CLOSING state`,
	}
	for name, pattern := range paramsErrors {
		want[name] = `invalid params argument: WebSocket: ` + pattern
	}
	for _, code := range []string{"999", "1001", "1005", "2999", "5000"} {
		want["close-code-"+code] = `InvalidAccessError: .*The close code must be either 1000, or between 3000 and 4999. ` + code + ` is neither`
	}
	requireThrows(t, tries, want)
	assert.False(t, tries["close-again"].Threw, "close() in CLOSING does nothing")
	assert.False(t, tries["binaryType-text"].Threw, "WebIDL: a binaryType that is not an enum value is ignored")
	assert.Equal(t, "blob", tries["binaryType-text"].Value, "binaryType keeps its value")
	assert.False(t, tries["send-after-close"].Threw, "WHATWG: send() in CLOSING discards the data")
	assert.Equal(t, 4.0, tries["send-after-close"].Value, "the discarded bytes count in bufferedAmount")
	assert.Equal(t, []any{1.0, 0.0, 10.0, 10.0, 0.0, 4.0, 0.0}, tries["blob-slices"].Value,
		"Blob.slice clamps every bound to the blob")

	requireBigAndMany(t, tries, true)
	assert.Contains(t, tries, "end", "the iteration went on after every attempt")

	// A throwing listener ends its iteration: k6 reports the exception,
	// the socket's other listeners do not run, its session is whole.
	assert.Contains(t, run.Stderr, "thrown by a listener", "k6 reports the listener's exception")
	assert.NotContains(t, tries, "throws-close-ran", "no listener runs after one threw")
	for _, name := range []string{"open-socket", "huge", "listeners", "throw-in-message"} {
		requireWholeSession(t, run, name)
	}
	requireMessageCounts(t, run, "huge", 2, 2)
	requireMessageCounts(t, run, "listeners", 1, 1)
	// The sockets whose constructor threw were never counted.
	assert.InDelta(t, 4, SumPoints(run.Points, metricSessions, nil), 0, "only the sockets that were created are sessions")
}

// requireBigAndMany checks the huge messages and the 10k listeners.
func requireBigAndMany(t *testing.T, tries map[string]tryRecord, class bool) {
	t.Helper()
	huge, _ := tries["huge-messages"].Value.(map[string]any)
	assert.Equal(t, []any{32.0 * (1 << 20), 32.0 * (1 << 20)}, huge["sizes"], "two 32 MiB messages echoed whole")

	many, _ := tries["10k-listeners"].Value.(map[string]any)
	assert.Equal(t, 10000.0, many["calls"], "each of the 10k listeners ran once")
	if class {
		assert.Equal(t, 1.0, many["same"], "a listener added 10k times is one listener")
	}
}
