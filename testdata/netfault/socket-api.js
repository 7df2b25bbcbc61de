// The network-fault cases with the k6/ws Socket API. CASE picks the case:
// echo, stream or faults; crowd.js runs crowd(). Run by
// internal/e2e/netfault_test.go.
import ws from 'k6/ws';
import { Counter } from 'k6/metrics';
import {
	FAULT_CASES, STREAM, arm, binary, caseParams, echoPlan, finish, newResult, proxyURL, sameAs, sizeOf, stall, text,
} from './common.js';

export const options = { vus: 1, iterations: 1 };

const corrupt = new Counter('netfault_corrupt');

// guard closes a session that outlives its case, so that no run hangs.
function guard(socket, r, ms) {
	socket.setTimeout(() => { r.events.push('gave-up'); socket.close(1000); }, ms);
}

// echo sends every message of echoPlan() at once, checks that the echoes
// come back byte-exact and in order, then pings three times.
function echo() {
	const r = newResult('echo');
	const plan = echoPlan();
	const res = ws.connect(__ENV.WS_URL + '/echo', { tags: { case: 'echo' } }, (socket) => {
		const received = (data) => {
			const m = plan[r.messages++];
			if (!m || !sameAs(m, data)) {
				r.corrupt++;
				r.errors.push('message ' + (r.messages - 1) + ' differs: ' + sizeOf(data) + ' bytes');
			}
			if (r.messages === plan.length) { socket.ping(); }
		};
		socket.on('open', () => {
			r.events.push('open');
			for (const m of plan) {
				if (m.binary) { socket.sendBinary(binary(m.seq, m.size)); } else { socket.send(text(m.seq, m.size)); }
				r.sent++;
			}
		});
		socket.on('message', received);
		socket.on('binaryMessage', received);
		socket.on('pong', () => {
			r.pongs++;
			if (r.pongs < 3) { socket.ping(); } else { socket.close(1000); }
		});
		socket.on('error', (e) => { r.events.push('error'); r.errors.push(e.error()); });
		socket.on('close', (code) => { r.events.push('close'); r.code = code; });
		guard(socket, r, 30000);
	});
	r.status = res.status;
	r.error = res.error;
	finish(r);
}

// stream echoes STREAM.count messages through a bandwidth limit, at most
// STREAM.window in flight, checking each echo, and closes after the last.
function stream() {
	const r = newResult('stream');
	const res = ws.connect(__ENV.WS_URL + '/echo', { tags: { case: 'stream' } }, (socket) => {
		const sendNext = () => { socket.send(text(r.sent, STREAM.size)); r.sent++; };
		socket.on('open', () => {
			r.events.push('open');
			while (r.sent < STREAM.window && r.sent < STREAM.count) { sendNext(); }
		});
		socket.on('message', (data) => {
			if (data !== text(r.messages, STREAM.size)) { r.corrupt++; }
			r.messages++;
			if (r.sent < STREAM.count) { sendNext(); }
			if (r.messages === STREAM.count) { socket.close(1000); }
		});
		socket.on('error', (e) => { r.events.push('error'); r.errors.push(e.error()); });
		socket.on('close', (code) => { r.events.push('close'); r.code = code; });
		guard(socket, r, 280000);
	});
	r.status = res.status;
	r.error = res.error;
	finish(r);
}

// fault runs one case of FAULT_CASES.
function fault(c) {
	const r = newResult(c.name);
	const res = ws.connect(proxyURL(c.proxy, c.path), caseParams(c), (socket) => {
		const next = () => { socket.send(text(r.sent, 32)); r.sent++; };
		socket.on('open', () => {
			r.events.push('open');
			if (c.dropAfter || c.stallAfter) { next(); }
		});
		socket.on('message', (data) => {
			r.events.push('message');
			if (data !== text(r.messages, 32)) { r.corrupt++; }
			r.messages++;
			if (r.messages === c.stallAfter) {
				stall(r, c.proxy);
				socket.close(1000);
				return;
			}
			if (r.messages === c.dropAfter) { arm(r, c.proxy, 'drop'); }
			next();
		});
		socket.on('binaryMessage', () => { r.events.push('message'); r.messages++; });
		socket.on('error', (e) => { r.events.push('error'); r.errors.push(e.error()); });
		socket.on('close', (code) => { r.events.push('close'); r.code = code; });
		guard(socket, r, 10000);
	});
	r.status = res.status;
	r.error = res.error;
	finish(r);
}

function faults() {
	for (const c of FAULT_CASES) { fault(c); }
}

// crowd is one iteration of crowd.js: a session that echoes five
// messages one after the other and closes.
export function crowd() {
	let received = 0;
	ws.connect(__ENV.WS_URL + '/echo', (socket) => {
		socket.on('open', () => { socket.send(text(__VU, 64)); });
		socket.on('message', (data) => {
			if (data !== text(__VU + received, 64)) { corrupt.add(1); }
			received++;
			if (received === 5) { socket.close(1000); } else { socket.send(text(__VU + received, 64)); }
		});
	});
}

const cases = { echo: echo, stream: stream, faults: faults };

export default function () {
	cases[__ENV.CASE]();
}
