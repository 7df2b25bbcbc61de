// The network-fault cases with the WebSocket class of k6/websockets. CASE
// picks the case: echo, stream or faults; crowd.js runs crowd(). Run by
// internal/e2e/netfault_test.go.
import { WebSocket } from 'k6/websockets';
import { Counter } from 'k6/metrics';
import {
	FAULT_CASES, STREAM, arm, binary, caseParams, echoPlan, finish, newResult, proxyURL, sameAs, sizeOf, stall, text,
} from './common.js';

export const options = { vus: 1, iterations: 1 };

const corrupt = new Counter('netfault_corrupt');

// open opens a socket whose events are recorded in r; it closes the socket
// if the case outlives ms, so that no run hangs, and logs r on close.
function open(url, params, r, ms) {
	const socket = new WebSocket(url, undefined, params);
	socket.binaryType = 'arraybuffer';
	const guard = setTimeout(() => { r.events.push('gave-up'); socket.close(1000); }, ms);
	socket.onerror = (e) => { r.events.push('error'); r.errors.push(e.error); };
	socket.onclose = (e) => {
		clearTimeout(guard);
		r.events.push('close');
		r.code = e.code;
		r.clean = e.wasClean;
		finish(r);
	};
	return socket;
}

// echo sends every message of echoPlan() at once, checks that the echoes
// come back byte-exact and in order, then pings three times.
function echo() {
	const r = newResult('echo');
	const plan = echoPlan();
	const socket = open(__ENV.WS_URL + '/echo', { tags: { case: 'echo' } }, r, 30000);
	socket.onopen = () => {
		r.events.push('open');
		for (const m of plan) {
			socket.send(m.binary ? binary(m.seq, m.size) : text(m.seq, m.size));
			r.sent++;
		}
	};
	socket.onmessage = (e) => {
		const m = plan[r.messages++];
		if (!m || !sameAs(m, e.data)) {
			r.corrupt++;
			r.errors.push('message ' + (r.messages - 1) + ' differs: ' + sizeOf(e.data) + ' bytes');
		}
		if (r.messages === plan.length) { socket.ping(); }
	};
	socket.onpong = () => {
		r.pongs++;
		if (r.pongs < 3) { socket.ping(); } else { socket.close(1000); }
	};
}

// stream echoes STREAM.count messages through a bandwidth limit, at most
// STREAM.window in flight, checking each echo, and closes after the last.
function stream() {
	const r = newResult('stream');
	const socket = open(__ENV.WS_URL + '/echo', { tags: { case: 'stream' } }, r, 280000);
	const sendNext = () => { socket.send(text(r.sent, STREAM.size)); r.sent++; };
	socket.onopen = () => {
		r.events.push('open');
		while (r.sent < STREAM.window && r.sent < STREAM.count) { sendNext(); }
	};
	socket.onmessage = (e) => {
		if (e.data !== text(r.messages, STREAM.size)) { r.corrupt++; }
		r.messages++;
		if (r.sent < STREAM.count) { sendNext(); }
		if (r.messages === STREAM.count) { socket.close(1000); }
	};
}

// fault runs one case of FAULT_CASES; the cases run at once.
function fault(c) {
	const r = newResult(c.name);
	const socket = open(proxyURL(c.proxy, c.path), caseParams(c), r, 10000);
	const next = () => { socket.send(text(r.sent, 32)); r.sent++; };
	socket.onopen = () => {
		r.events.push('open');
		if (c.dropAfter || c.stallAfter) { next(); }
	};
	socket.onmessage = (e) => {
		r.events.push('message');
		if (typeof e.data !== 'string') { r.messages++; return; }
		if (e.data !== text(r.messages, 32)) { r.corrupt++; }
		r.messages++;
		if (r.messages === c.stallAfter) {
			stall(r, c.proxy);
			socket.close(1000);
			return;
		}
		if (r.messages === c.dropAfter) { arm(r, c.proxy, 'drop'); }
		next();
	};
}

function faults() {
	for (const c of FAULT_CASES) { fault(c); }
}

// crowd is one iteration of crowd.js: a socket that echoes five messages
// one after the other and closes.
export function crowd() {
	let received = 0;
	const socket = new WebSocket(__ENV.WS_URL + '/echo');
	socket.onopen = () => { socket.send(text(__VU, 64)); };
	socket.onmessage = (e) => {
		if (e.data !== text(__VU + received, 64)) { corrupt.add(1); }
		received++;
		if (received === 5) { socket.close(1000); } else { socket.send(text(__VU + received, 64)); }
	};
}

const cases = { echo: echo, stream: stream, faults: faults };

export default function () {
	cases[__ENV.CASE]();
}
