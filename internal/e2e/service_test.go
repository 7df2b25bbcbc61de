package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The service tests: correlate (ws_req_duration, ws_req_failed) and
// autoReply, through the binary, against the echo server's /rpc, /echo and
// /heartbeat routes.

const (
	metricReqDuration = "ws_req_duration"
	metricReqFailed   = "ws_req_failed"
)

const correlateScript = `
import ws from 'k6/ws';
import { WebSocket, WebSocketStream } from 'k6/websockets';
import { check } from 'k6';

export const options = { vus: 1, iterations: 1 };
const json = { request: { json: 'id' }, reply: { json: 'id' } };

function socketAPI() {
	ws.connect(__ENV.WS_URL + '/rpc?delay=1ms', { correlate: { ...json, name: 'ws-json' } }, (s) => {
		const got = new Set();
		s.on('open', () => {
			s.send('{"note":"no key: no request"}');
			for (let i = 0; i < 5; i++) s.send(JSON.stringify({ id: i }));
		});
		s.on('message', (m) => {
			const { id } = JSON.parse(m);
			check(id, { 'ws: every reply reaches the script': (i) => i >= 0 && i < 5 && !got.has(i) });
			got.add(id);
			if (got.size === 5) s.close();
		});
	});
	ws.connect(__ENV.WS_URL + '/rpc?never=true', { correlate: { ...json, timeout: '50ms', name: 'ws-timeout' } }, (s) => {
		s.on('open', () => {
			s.send('{"id":1}');
			s.send('{"id":2}');
			s.setTimeout(() => s.close(), 500);
		});
	});
	ws.connect(__ENV.WS_URL + '/rpc?never=true', { correlate: { ...json, maxOpen: 1, name: 'ws-maxopen' } }, (s) => {
		s.on('open', () => {
			s.send('{"id":1}');
			s.send('{"id":2}');
			s.close();
		});
		s.on('error', (e) => console.log('REFUSAL ws ' + e.error()));
	});
}

function opened(url, params) {
	return new Promise((resolve, reject) => {
		const w = new WebSocket(url, null, params);
		w.onopen = () => resolve(w);
		w.onerror = (e) => reject(new Error(e.error));
	});
}

function closed(w) {
	return new Promise((resolve) => { w.onclose = resolve; });
}

async function classAPI() {
	const re = { request: { regex: '^req(\\d+)' }, reply: { regex: '^req(\\d+)' }, name: 'class-regex' };
	const echo = await opened(__ENV.WS_URL + '/echo', { correlate: re });
	let got = 0;
	const done = closed(echo);
	echo.onmessage = () => { if (++got === 3) echo.close(); };
	echo.send('req1');
	echo.send('not a request');
	echo.send('req2');
	await done;
	check(got, { 'class: every message reaches the script': (n) => n === 3 });

	const never = await opened(__ENV.WS_URL + '/rpc?never=true', { correlate: { ...json, name: 'class-closed' } });
	never.send('{"id":"x"}');
	never.close();
	await closed(never);

	const bounded = await opened(__ENV.WS_URL + '/rpc?never=true',
		{ correlate: { ...json, maxOpen: 1, name: 'class-maxopen' } });
	bounded.send('{"id":1}');
	let refusal = '';
	try {
		bounded.send('{"id":2}');
	} catch (e) {
		refusal = String(e);
	}
	try {
		bounded.send('{"id":1}');
	} catch (e) {
		refusal += ' | ' + String(e);
	}
	console.log('REFUSAL class ' + refusal);
	bounded.close();
	await closed(bounded);
}

async function streamAPI() {
	const wss = new WebSocketStream(__ENV.WS_URL + '/echo', { correlate: { fifo: true, name: 'stream-fifo' } });
	const { readable, writable } = await wss.opened;
	const reader = readable.getReader();
	const writer = writable.getWriter();
	for (let i = 0; i < 4; i++) {
		await writer.write('m' + i);
		const { value } = await reader.read();
		check(value, { 'stream: every message reaches the script': (v) => v === 'm' + i });
	}
	wss.close();
	await wss.closed;

	const bounded = new WebSocketStream(__ENV.WS_URL + '/rpc?never=true',
		{ correlate: { ...json, maxOpen: 1, name: 'stream-maxopen' } });
	const opened = await bounded.opened;
	const w = opened.writable.getWriter();
	await w.write('{"id":1}');
	try {
		await w.write('{"id":2}');
	} catch (e) {
		console.log('REFUSAL stream ' + String(e));
	}
	bounded.close();
	await bounded.closed;
}

export default async function () {
	socketAPI();
	await classAPI();
	await streamAPI();
}
`

// TestCorrelateEveryAPI: the three APIs take the same correlate param and
// give the same metrics: a ws_req_duration per answered request and a
// ws_req_failed per request (true on timeout or close first), tagged with
// the session's tags and the correlate name; every message still reaches
// the script; a request over maxOpen, or with an open key, is refused
// with an error that says so.
func TestCorrelateEveryAPI(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, correlateScript, Options{Args: []string{"--log-format", "json"}})
	requireCleanRun(t, run, 0)
	for _, c := range run.Summary.Checks() {
		assert.Zero(t, c.Fails, "check %q failed", c.Path)
	}
	passes := map[string]int{}
	for _, c := range run.Summary.Checks() {
		passes[c.Name] = c.Passes
	}
	assert.Equal(t, map[string]int{
		"ws: every reply reaches the script":       5,
		"class: every message reaches the script":  1,
		"stream: every message reaches the script": 4,
	}, passes)

	for name, want := range map[string]struct{ answered, failed int }{
		"ws-json":        {5, 0},
		"ws-timeout":     {0, 2},
		"class-regex":    {2, 0},
		"class-closed":   {0, 1},
		"class-maxopen":  {0, 1},
		"stream-fifo":    {4, 0},
		"ws-maxopen":     {0, 1},
		"stream-maxopen": {0, 1},
	} {
		named := HasTags(map[string]string{"name": name, "status": "101"})
		assert.Equal(t, want.answered, CountPoints(run.Points, metricReqDuration, named), "%s: ws_req_duration samples", name)
		assert.Equal(t, want.answered+want.failed, CountPoints(run.Points, metricReqFailed, named), "%s: ws_req_failed samples", name)
		assert.InDelta(t, want.failed, SumPoints(run.Points, metricReqFailed, named), 0, "%s: failed requests", name)
	}
	for _, p := range run.Points {
		if p.Metric == metricReqDuration && p.Tags["name"] == "ws-json" {
			assert.GreaterOrEqual(t, p.Value, 1.0, "the server answers after 1ms: the time covers it")
		}
	}
	const tooMany = "websocket: the message was not sent: " +
		"correlate: too many requests are waiting for their reply: 1 are open, the limit is correlate.maxOpen (1)"
	refusals := map[string]string{}
	for _, msg := range consoleMessages(t, run, "REFUSAL ") {
		api, text, _ := strings.Cut(msg, " ")
		refusals[api] = text
	}
	assert.Contains(t, refusals["class"], "WebSocket.send: "+tooMany, "send() throws")
	assert.Contains(t, refusals["class"], `correlate: a request with the key "1" is already waiting for its reply`)
	assert.Contains(t, refusals["ws"], "socket.send: "+tooMany, "k6/ws: an error event")
	assert.Contains(t, refusals["stream"], "WebSocketStream: write: the message was not sent: "+tooMany,
		"the write is rejected")
}

const autoReplyScript = `
import ws from 'k6/ws';
import { sleep, check } from 'k6';

export const options = { vus: 1, iterations: 1 };

export default function () {
	for (const [name, params] of [['answered', { autoReply: [{ receive: '2', send: '3' }] }], ['silent', {}]]) {
		let code = 0;
		let delivered = 0;
		ws.connect(__ENV.WS_URL + '/heartbeat?interval=200ms&timeout=100ms', { ...params, tags: { session: name } }, (s) => {
			s.on('open', () => {
				sleep(2);
				// What came meanwhile is handled before this timer fires.
				s.setTimeout(() => s.close(1000), 1);
			});
			s.on('message', () => delivered++);
			s.on('close', (c) => { code = c; });
		});
		console.log('AUTOREPLY ' + name + ' ' + code + ' ' + delivered);
	}
}
`

// TestAutoReplyKeepsASleepingClientConnected: the server sends "2" every
// 200 ms and closes with 1008 a client that did not answer "3" within 100
// ms. A k6/ws client whose open handler sleeps 2 s keeps its connection
// with autoReply, and closes it itself; the "2"s never reach the script and
// count as received, the answers as sent. Without autoReply the server
// drops it.
func TestAutoReplyKeepsASleepingClientConnected(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, autoReplyScript, Options{Args: []string{"--log-format", "json"}})
	requireCleanRun(t, run, 0)
	assert.Equal(t, []string{"answered 1000 0", "silent 1008 1"}, consoleMessages(t, run, "AUTOREPLY "),
		"close code and messages delivered: with autoReply the client closed, without it the server did")
	answered := HasTags(map[string]string{"session": "answered"})
	received := SumPoints(run.Points, metricReceived, answered)
	assert.GreaterOrEqual(t, received, 5.0, "the heartbeats of 2 s, counted as received")
	assert.InDelta(t, received, SumPoints(run.Points, metricSent, answered), 0, "one answer sent per heartbeat")
}
