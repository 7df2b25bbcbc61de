// Shared by the network-fault scripts (socket-api.js, websocket-class.js):
// payloads whose every byte is known, their checks, the fault cases, and
// Toxiproxy's HTTP API, through which a script injects a fault at a point
// of its session. Run by internal/e2e/netfault_test.go.
import http from 'k6/http';

// ALPHABET is the period of every payload.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const MAX_PAYLOAD = 256 * 1024;
const BASE = ALPHABET.repeat(Math.ceil(MAX_PAYLOAD / ALPHABET.length) + 1);

// ECHO_SIZES are the sizes the echo case sends, each as text and as binary:
// both sides of the 7-bit and 16-bit payload lengths of RFC 6455, and a
// message larger than any TCP segment or read buffer.
export const ECHO_SIZES = [1, 125, 126, 65535, 65536, 200 * 1024];

// text is message seq of size n: n bytes of the alphabet, starting at an
// offset that depends on seq, with a "#seq;" mark at the start when it
// fits, so that no two messages of one session are alike.
export function text(seq, n) {
	const start = seq % ALPHABET.length;
	const mark = '#' + seq + ';';
	if (n <= mark.length) { return BASE.substring(start, start + n); }
	return mark + BASE.substring(start, start + n - mark.length);
}

// binary is text(seq, n) as bytes.
export function binary(seq, n) {
	const s = text(seq, n);
	const bytes = new Uint8Array(n);
	for (let i = 0; i < n; i++) { bytes[i] = s.charCodeAt(i); }
	return bytes.buffer;
}

// echoPlan is the messages of the echo case, in the order they are sent.
export function echoPlan() {
	const plan = [];
	for (const n of ECHO_SIZES) {
		plan.push({ seq: plan.length, size: n, binary: false });
		plan.push({ seq: plan.length, size: n, binary: true });
	}
	return plan;
}

// sameAs reports whether data (a string or an ArrayBuffer) is exactly
// message m of a plan.
export function sameAs(m, data) {
	if (typeof data === 'string') { return !m.binary && data === text(m.seq, m.size); }
	if (!m.binary || data.byteLength !== m.size) { return false; }
	const want = text(m.seq, m.size);
	const got = new Uint8Array(data);
	for (let i = 0; i < got.length; i++) {
		if (got[i] !== want.charCodeAt(i)) { return false; }
	}
	return true;
}

// sizeOf is the length of a message's data.
export function sizeOf(data) {
	return typeof data === 'string' ? data.length : data.byteLength;
}

// newResult starts the record of one case.
export function newResult(name) {
	return { name: name, events: [], errors: [], sent: 0, messages: 0, corrupt: 0, pongs: 0, start: Date.now() };
}

// finish logs the record of a case, which the test reads.
export function finish(r) {
	r.ms = Date.now() - r.start;
	delete r.start;
	console.log('RESULT ' + JSON.stringify(r));
}

// toxiproxy calls Toxiproxy's HTTP API and fails the case's record if the
// call fails.
export function toxiproxy(r, method, path, body) {
	const res = http.request(method, __ENV.TOXIPROXY_URL + path, body === undefined ? null : JSON.stringify(body),
		{ headers: { 'Content-Type': 'application/json' }, tags: { toxiproxy: path } });
	if (res.status !== 200 && res.status !== 204) {
		r.errors.push('toxiproxy ' + method + ' ' + path + ': ' + res.status + ' ' + res.body);
	}
}

// stall stops the data of a proxy both ways; its connections stay open.
export function stall(r, proxy) {
	for (const stream of ['upstream', 'downstream']) {
		toxiproxy(r, 'POST', '/proxies/' + proxy + '/toxics',
			{ name: 'stall-' + stream, type: 'timeout', stream: stream, attributes: { timeout: 0 } });
	}
}

// arm turns on a dormant toxic (toxicity 0) of a proxy.
export function arm(r, proxy, toxic) {
	toxiproxy(r, 'POST', '/proxies/' + proxy + '/toxics/' + toxic, { toxicity: 1 });
}

// The fault cases: the proxy (named as in the test) and path of each, and
// the params of its connection.
export const FAULT_CASES = [
	// The proxy cuts the connection after 100 kB of the 1 MiB message.
	{ name: 'cut', proxy: 'cut', path: '/big?size=1048576' },
	// After three echoes, a reset_peer toxic resets the connection.
	{ name: 'drop', proxy: 'drop', path: '/echo', dropAfter: 3 },
	// After one echo, data stops both ways, then the script closes.
	{ name: 'stall', proxy: 'stall', path: '/echo', params: { closeTimeout: '1s' }, stallAfter: 1 },
	// The handshake request is delayed 3s, beyond handshakeTimeout.
	{ name: 'slow-handshake', proxy: 'slow-handshake', path: '/echo', params: { handshakeTimeout: '1s' } },
];

// caseParams are the params of a case's connection, tagged case=<name>.
// With STOCK_PARAMS=1 (to run the scripts on stock k6, whose WebSocket
// class refuses options it does not know) the params of this extension,
// closeTimeout and handshakeTimeout, are left out.
export function caseParams(c) {
	const params = Object.assign({ tags: { case: c.name } }, c.params);
	if (__ENV.STOCK_PARAMS === '1') {
		delete params.closeTimeout;
		delete params.handshakeTimeout;
	}
	return params;
}

// proxyURL is the WebSocket URL of a path through a proxy; the test gives
// each proxy's address as PROXY_<NAME> (upper case, - as _).
export function proxyURL(proxy, path) {
	return 'ws://' + __ENV['PROXY_' + proxy.toUpperCase().replace(/-/g, '_')] + path;
}

// STREAM is the bandwidth case: COUNT text messages of SIZE bytes echoed
// with at most WINDOW in flight.
export const STREAM = {
	count: Number(__ENV.STREAM_COUNT || 0),
	size: Number(__ENV.STREAM_SIZE || 0),
	window: 8,
};
