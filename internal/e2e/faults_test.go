package e2e

import (
	"bufio"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault tests run every misbehaving peer of the echo server against one
// k6 run per API. Each case is one session tagged case=<name>; the script
// logs what it saw as a "RESULT {json}" console line when the session is
// over, and the test checks those results, the metrics of each case, the
// run's exit code and duration, and that no goroutine of the extension is
// left once the iterations are over (see goroutineProbe).

// faultCases is the JavaScript list of fault cases both scripts run: the
// echo server route, the session's params and what the script does once
// the socket is open (send: messages to send; closeOn: close with 1000
// after that many messages or pings; flood: messages of 1 MiB to send to a
// peer that never reads).
const faultCases = `
const cases = [
	{ name: 'hang', path: '/hang', params: { handshakeTimeout: '1s' } },
	{ name: 'refused', path: '/status?code=403&body=go%20away' },
	{ name: 'garbage', path: '/garbage' },
	{ name: 'drop-fin', path: '/drop?after=1&mode=fin', send: 1 },
	{ name: 'drop-rst', path: '/drop?after=1&mode=rst', send: 1 },
	{ name: 'no-close-reply', path: '/noclose', params: { closeTimeout: '500ms' }, send: 1, closeOn: { message: 1 } },
	{ name: 'too-big', path: '/big?size=4096', params: { maxMessageSize: 1024 } },
	{ name: 'invalid-utf8', path: '/invalid-utf8' },
	{ name: 'fragmented', path: '/fragmented?parts=5&size=10000', closeOn: { message: 1 } },
	{ name: 'unsolicited-pongs', path: '/pong?count=3', send: 1, closeOn: { message: 1 } },
	{ name: 'pings-with-payload', path: '/ping?count=3&payload=payload-of-the-ping', closeOn: { ping: 3 } },
	{ name: 'slow-reader', path: '/slowread', params: { closeTimeout: '1s' }, flood: 100 },
];
const MiB = 'x'.repeat(1 << 20);

function newResult(c) {
	return { name: c.name, events: [], errors: [], sizes: [], sent: 0, rejected: 0, pings: 0, messages: 0,
		start: Date.now() };
}

function finish(r) {
	r.ms = Date.now() - r.start;
	console.log('RESULT ' + JSON.stringify(r));
}
`

// faultsSocketAPI runs the cases one after the other with k6/ws.
const faultsSocketAPI = `
import ws from 'k6/ws';
` + goroutineProbe + faultCases + `
export const options = { vus: 1, iterations: 1 };

function closeIfDone(socket, c, r) {
	if (!c.closeOn) { return; }
	if (r.messages === c.closeOn.message || r.pings === c.closeOn.ping) { socket.close(1000); }
}

function run(c) {
	const r = newResult(c);
	const params = Object.assign({ tags: { case: c.name } }, c.params);
	const res = ws.connect(__ENV.WS_URL + c.path, params, (socket) => {
		socket.on('open', () => {
			r.events.push('open');
			for (let i = 0; i < (c.send || 0); i++) { socket.send('hello ' + i); r.sent++; }
			if (c.flood) { flood(socket, c, r); }
		});
		socket.on('message', (m) => { r.events.push('message'); r.messages++; r.sizes.push(m.length); closeIfDone(socket, c, r); });
		socket.on('binaryMessage', (m) => { r.events.push('message'); r.messages++; r.sizes.push(m.byteLength); });
		socket.on('ping', () => { r.events.push('ping'); r.pings++; closeIfDone(socket, c, r); });
		socket.on('pong', () => { r.events.push('pong'); });
		socket.on('error', (e) => { r.events.push('error'); r.errors.push(e.error()); });
		socket.on('close', (code) => { r.events.push('close'); r.code = code; });
		socket.setTimeout(() => { r.events.push('gave-up'); socket.close(1000); }, 10000);
	});
	r.status = res.status;
	r.error = res.error;
	r.body = res.body;
	finish(r);
}

// flood sends to a peer that never reads: the write queue (256 MiB by
// default) takes every message; a send past it would wait for room.
function flood(socket, c, r) {
	for (let i = 0; i < c.flood; i++) {
		const before = r.errors.length;
		socket.send(MiB);
		if (r.errors.length === before) { r.sent++; } else { r.rejected++; }
	}
	socket.close(1000);
}

export default function () {
	for (const c of cases) { run(c); }
}
`

// faultsWebSocketClass runs the cases all at once with the WebSocket class.
const faultsWebSocketClass = `
import { WebSocket } from 'k6/websockets';
` + goroutineProbe + faultCases + `
export const options = { vus: 1, iterations: 1 };

function closeIfDone(socket, c, r) {
	if (!c.closeOn) { return; }
	if (r.messages === c.closeOn.message || r.pings === c.closeOn.ping) { socket.close(1000); }
}

function open(c) {
	const r = newResult(c);
	const socket = new WebSocket(__ENV.WS_URL + c.path, undefined, Object.assign({ tags: { case: c.name } }, c.params));
	socket.binaryType = 'arraybuffer';
	const guard = setTimeout(() => { r.events.push('gave-up'); socket.close(1000); }, 10000);
	socket.onopen = () => {
		r.events.push('open');
		for (let i = 0; i < (c.send || 0); i++) { socket.send('hello ' + i); r.sent++; }
		if (c.flood) { flood(socket, c, r); }
	};
	socket.onmessage = (e) => {
		r.events.push('message');
		r.messages++;
		r.sizes.push(typeof e.data === 'string' ? e.data.length : e.data.byteLength);
		closeIfDone(socket, c, r);
	};
	socket.onping = () => { r.events.push('ping'); r.pings++; closeIfDone(socket, c, r); };
	socket.onpong = () => { r.events.push('pong'); };
	socket.onerror = (e) => { r.events.push('error'); r.errors.push(e.error); };
	socket.onclose = (e) => {
		clearTimeout(guard);
		r.events.push('close');
		r.code = e.code;
		r.clean = e.wasClean;
		r.readyState = socket.readyState;
		finish(r);
	};
}

// flood sends to a peer that never reads: the write queue (256 MiB by
// default) takes every message; send never throws because of buffering.
function flood(socket, c, r) {
	for (let i = 0; i < c.flood; i++) {
		try {
			socket.send(MiB);
			r.sent++;
		} catch (e) {
			if (r.rejected++ === 0) { r.errors.push(String(e)); }
		}
	}
	r.buffered = socket.bufferedAmount;
	socket.close(1000);
}

export default function () {
	for (const c of cases) { open(c); }
}
`

// faultResult is what a fault script logged about one case.
type faultResult struct {
	Name     string   `json:"name"`
	Events   []string `json:"events"`
	Errors   []string `json:"errors"`
	Sizes    []int    `json:"sizes"`
	Sent     int      `json:"sent"`
	Rejected int      `json:"rejected"`
	Messages int      `json:"messages"`
	Ms       int64    `json:"ms"`
	Code     int      `json:"code"`
	Clean    bool     `json:"clean"`
	// k6/ws only: the Response of ws.connect.
	Status int    `json:"status"`
	Error  string `json:"error"`
	Body   string `json:"body"`
	// WebSocket class only.
	ReadyState int   `json:"readyState"`
	Buffered   int64 `json:"buffered"`
}

// faultWant is what one case must give.
type faultWant struct {
	// events matches the event names joined with ",".
	events string
	// code is the close code (0: no close event, for k6/ws handshakes).
	code int
	// failure matches the last error: the error event's, or the Response's.
	failure string
	// status is the handshake status of a k6/ws Response.
	status int
	// minMs is how long the case took at least, in milliseconds: the
	// timeout it waited for.
	minMs int64
}

// Metrics of a session, as tagged by the scripts.
const (
	metricSessions = "ws_sessions"
	metricDuration = "ws_session_duration"
	metricConnect  = "ws_connecting"
	metricSent     = "ws_msgs_sent"
	metricReceived = "ws_msgs_received"
	metricPing     = "ws_ping"
)

func TestFaultsSocketAPI(t *testing.T) {
	t.Parallel()
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, faultsSocketAPI, probe.options(Options{}))

	requireCleanRun(t, run, 0)
	probe.requireNoneLeft(t, run)
	results := consoleRecords[faultResult](t, run, "RESULT ")
	want := map[string]faultWant{
		// A failed handshake runs no handler: the Response says why.
		"hang":    {status: 0, failure: `timed out after 1s \(handshakeTimeout\)`, minMs: 1000},
		"refused": {status: 403, failure: `403 Forbidden instead of 101`},
		"garbage": {status: 0, failure: `malformed HTTP`},
		"drop-fin": {events: "open,message,error,close", code: 1006,
			failure: "dropped without a close frame"},
		"drop-rst": {events: "open,(message,)?error,close", code: 1006,
			failure: "connection reset by peer|dropped without a close frame"},
		"no-close-reply": {events: "open,message,error,close", code: 1006,
			failure: "close handshake timed out: the peer did not answer within 500ms", minMs: 500},
		"too-big":            {events: "open,error,close", code: 1009, failure: `larger than maxMessageSize \(1024 bytes\)`},
		"invalid-utf8":       {events: "open,error,close", code: 1007, failure: "not valid UTF-8"},
		"fragmented":         {events: "open,message,close", code: 1000},
		"unsolicited-pongs":  {events: "open,pong,pong,pong,message,close", code: 1000},
		"pings-with-payload": {events: "open,ping,ping,ping,close", code: 1000},
		// Nothing is dropped: the write queue takes the flood. Our close
		// frame waits behind it; a peer that reads none of it for
		// max(closeTimeout, 5s) ends the close with 1006.
		"slow-reader": {events: "open,error,close", code: 1006, failure: slowReaderFailure, minMs: 5000},
	}
	requireFaultResults(t, run, results, want, true)
	assert.Equal(t, []int{10000}, results["fragmented"].Sizes, "the five fragments arrive as one message")
	assert.Equal(t, "go away", results["refused"].Body, "the body of the refused handshake")
	assert.EqualValues(t, 3, run.Server.Stats().PongsReceived, "the server's 3 pings were answered")
	slow := results["slow-reader"]
	requireSlowReader(t, slow)
}

func TestFaultsWebSocketClass(t *testing.T) {
	t.Parallel()
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, faultsWebSocketClass, probe.options(Options{}))

	requireCleanRun(t, run, 0)
	probe.requireNoneLeft(t, run)
	results := consoleRecords[faultResult](t, run, "RESULT ")
	want := map[string]faultWant{
		"hang": {events: "error,close", code: 1006, failure: `timed out after 1s \(handshakeTimeout\)`,
			minMs: 1000},
		"refused": {events: "error,close", code: 1006, failure: `403 Forbidden instead of 101`},
		"garbage": {events: "error,close", code: 1006, failure: `malformed HTTP`},
		"drop-fin": {events: "open,message,error,close", code: 1006,
			failure: "dropped without a close frame"},
		"drop-rst": {events: "open,(message,)?error,close", code: 1006,
			failure: "connection reset by peer|dropped without a close frame"},
		"no-close-reply": {events: "open,message,error,close", code: 1006,
			failure: "close handshake timed out: the peer did not answer within 500ms", minMs: 500},
		"too-big":            {events: "open,error,close", code: 1009, failure: `larger than maxMessageSize \(1024 bytes\)`},
		"invalid-utf8":       {events: "open,error,close", code: 1007, failure: "not valid UTF-8"},
		"fragmented":         {events: "open,message,close", code: 1000},
		"unsolicited-pongs":  {events: "open,pong,pong,pong,message,close", code: 1000},
		"pings-with-payload": {events: "open,ping,ping,ping,close", code: 1000},
		"slow-reader":        {events: "open,error,close", code: 1006, failure: slowReaderFailure, minMs: 5000},
	}
	requireFaultResults(t, run, results, want, false)

	for name, r := range results {
		assert.Equal(t, 3, r.ReadyState, "%s: readyState is CLOSED in the close event", name)
		assert.Equal(t, r.Code == 1000, r.Clean, "%s: wasClean only for the completed close handshakes", name)
	}
	assert.Equal(t, []int{10000}, results["fragmented"].Sizes, "the five fragments arrive as one message")
	slow := results["slow-reader"]
	requireSlowReader(t, slow)
	assert.Greater(t, slow.Buffered, int64(0), "bufferedAmount holds what the peer did not read")
	assert.EqualValues(t, 3, run.Server.Stats().PongsReceived, "the server's 3 pings were answered")
}

// slowReaderFailure is the error of a close whose frame waits behind data
// that the peer never reads.
const slowReaderFailure = `close handshake timed out: the peer read none of the \d+ bytes queued before our close frame within 5s`

// requireSlowReader checks the flood of a peer that never reads: the write
// queue took every message; none was refused or dropped.
func requireSlowReader(t *testing.T, r faultResult) {
	t.Helper()
	assert.Equal(t, 100, r.Sent, "every message was queued")
	assert.Zero(t, r.Rejected, "no send was refused")
}

// requireFaultResults checks that every case of want was reported once,
// with the events, close code, error and duration wanted, and that the
// metrics of its session are whole (requireWholeSession), with message
// counts equal to what the script sent and received. socketAPI tells that
// the results come from k6/ws.
func requireFaultResults(t *testing.T, run Run, results map[string]faultResult, want map[string]faultWant, socketAPI bool) {
	t.Helper()
	require.Len(t, results, len(want), "one result per case: %v", results)
	for name, w := range want {
		r, ok := results[name]
		if !assert.True(t, ok, "no result for case %s", name) {
			continue
		}
		events := strings.Join(r.Events, ",")
		assert.Regexp(t, "^"+w.events+"$", events, "%s: events", name)
		assert.Equal(t, w.code, r.Code, "%s: close code", name)
		failure := r.Error
		if len(r.Errors) > 0 {
			failure = r.Errors[len(r.Errors)-1]
		}
		if w.failure == "" {
			assert.Empty(t, failure, "%s: no error", name)
		} else {
			assert.Regexp(t, w.failure, failure, "%s: the error says what went wrong", name)
		}
		if socketAPI {
			wantStatus := w.status
			if w.events != "" {
				wantStatus = 101
			}
			assert.Equal(t, wantStatus, r.Status, "%s: Response.status", name)
		}
		assert.GreaterOrEqual(t, r.Ms, w.minMs, "%s: took its timeout", name)
		requireWholeSession(t, run, name)
		requireMessageCounts(t, run, name, r.Sent, r.Messages)
	}
}

// requireWholeSession checks the metrics of the session tagged case=name:
// counted once in ws_sessions, with one ws_connecting and one
// ws_session_duration sample, and no ws_ping (no test pings).
func requireWholeSession(t *testing.T, run Run, name string) {
	t.Helper()
	ofCase := HasTags(map[string]string{"case": name})
	assert.InDelta(t, 1.0, SumPoints(run.Points, metricSessions, ofCase), 0, "%s: counted once in ws_sessions", name)
	assert.Equal(t, 1, CountPoints(run.Points, metricConnect, ofCase), "%s: one ws_connecting", name)
	assert.Equal(t, 1, CountPoints(run.Points, metricDuration, ofCase), "%s: one ws_session_duration", name)
	assert.Equal(t, 0, CountPoints(run.Points, metricPing, ofCase), "%s: no ws_ping without a ping of ours", name)
}

// requireMessageCounts checks the message counters of the session tagged
// case=name against what the script sent and received.
func requireMessageCounts(t *testing.T, run Run, name string, sent, received int) {
	t.Helper()
	ofCase := HasTags(map[string]string{"case": name})
	assert.InDelta(t, float64(sent), SumPoints(run.Points, metricSent, ofCase), 0, "%s: ws_msgs_sent", name)
	assert.InDelta(t, float64(received), SumPoints(run.Points, metricReceived, ofCase), 0, "%s: ws_msgs_received", name)
}

// requireCleanRun checks that k6 ended with code and did not panic.
func requireCleanRun(t *testing.T, run Run, code int) {
	t.Helper()
	require.Equal(t, code, run.ExitCode, "k6's exit code")
	require.NotContains(t, run.Stderr, "panic:", "k6 must not panic")
	require.NotRegexp(t, `goroutine \d+ \[`, run.Stderr, "no Go stack trace")
}

// consoleRecords decodes the JSON that the script logged with
// console.log(prefix + JSON.stringify(record)), keyed by the record's
// "name" (or its index when it has none). It needs k6's JSON log format,
// which goroutineProbe's options select.
func consoleRecords[T any](t *testing.T, run Run, prefix string) map[string]T {
	t.Helper()
	records := make(map[string]T)
	for i, msg := range consoleMessages(t, run, prefix) {
		var rec T
		require.NoError(t, json.Unmarshal([]byte(msg), &rec), "decoding %q", msg)
		var named struct {
			Name string `json:"name"`
		}
		require.NoError(t, json.Unmarshal([]byte(msg), &named))
		key := named.Name
		if key == "" {
			key = strconv.Itoa(i)
		}
		_, dup := records[key]
		require.False(t, dup, "record %q logged twice", key)
		records[key] = rec
	}
	return records
}

// consoleMessages returns, in order, the console messages of the run that
// start with prefix, prefix removed. k6 must log in JSON (--log-format
// json).
func consoleMessages(t *testing.T, run Run, prefix string) []string {
	t.Helper()
	var msgs []string
	scanner := bufio.NewScanner(strings.NewReader(run.Stderr))
	scanner.Buffer(make([]byte, 0, 64<<10), maxPointLine)
	for scanner.Scan() {
		var line struct {
			Msg    string `json:"msg"`
			Source string `json:"source"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) != nil || line.Source != "console" {
			continue
		}
		if rest, ok := strings.CutPrefix(line.Msg, prefix); ok {
			msgs = append(msgs, rest)
		}
	}
	require.NoError(t, scanner.Err())
	return msgs
}

// goroutineProbe is JavaScript that defines goroutinesLeft(), which lists
// the goroutine stacks of the k6 process that run code of this extension or
// of gorilla/websocket, read from k6's pprof endpoint, and a teardown that
// logs them as "GOROUTINES {json}". teardown runs once every VU is done (also
// after an interruption or test.abort()), so by then the list must be empty.
// k6 starts its REST API beside the test, so on a busy machine a short
// test can reach its teardown before the API listens: goroutinesLeft asks
// again while the connection is refused, for at most 30 s.
const goroutineProbe = `
import http from 'k6/http';
import { sleep as probeSleep } from 'k6';

function goroutinesLeft() {
	const url = __ENV.XK6WS_PPROF + '/debug/pprof/goroutine?debug=1';
	const params = { tags: { probe: 'goroutines' } };
	const deadline = Date.now() + 30 * 1000;
	let res = http.get(url, params);
	while (res.status === 0 && Date.now() < deadline) {
		probeSleep(0.05);
		res = http.get(url, params);
	}
	const ours = /loadkit\/xk6-ws\/(internal|ws|websockets|metrics|events)|gorilla\/websocket/;
	// debug=1 groups identical stacks, blank-line separated, after a header.
	const body = String(res.body).replace(/^goroutine profile: total \d+\n/, '');
	const stacks = body.split('\n\n').filter((s) => ours.test(s));
	return { status: res.status, error: res.error, stacks: stacks };
}

export function teardown() {
	console.log('GOROUTINES ' + JSON.stringify(goroutinesLeft()));
}
`

// probeReport is what goroutinesLeft() returns.
type probeReport struct {
	Status int      `json:"status"`
	Error  string   `json:"error"`
	Stacks []string `json:"stacks"`
}

// goroutineProbeRun gives a k6 run the REST API with profiling on a port
// of its own (see Options.RESTAPI), and JSON logs, for the script's
// goroutineProbe.
type goroutineProbeRun struct{}

func newGoroutineProbe(*testing.T) goroutineProbeRun {
	return goroutineProbeRun{}
}

// options adds the probe's arguments to opts.
func (goroutineProbeRun) options(opts Options) Options {
	opts.RESTAPI = true
	opts.Args = append([]string{"--profiling-enabled", "--log-format", "json"}, opts.Args...)
	return opts
}

// requireNoneLeft checks the teardown's report: no goroutine of the
// extension outlived the iterations.
func (goroutineProbeRun) requireNoneLeft(t *testing.T, run Run) {
	t.Helper()
	reports := consoleMessages(t, run, "GOROUTINES ")
	require.Len(t, reports, 1, "the teardown reports the goroutines once")
	var rep probeReport
	require.NoError(t, json.Unmarshal([]byte(reports[0]), &rep))
	require.Equal(t, 200, rep.Status, "k6's pprof endpoint answers (error %q)", rep.Error)
	assert.Empty(t, rep.Stacks, "goroutines of the extension left after the iterations:\n%s",
		strings.Join(rep.Stacks, "\n\n"))
}

// TestGoroutineProbeSeesOpenConnections proves the probe can fail: while a
// k6/ws socket and a WebSocket are open, it lists their goroutines.
func TestGoroutineProbeSeesOpenConnections(t *testing.T) {
	t.Parallel()
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, `
import ws from 'k6/ws';
import { WebSocket } from 'k6/websockets';
`+goroutineProbe+`
export const options = { vus: 1, iterations: 1 };

export default function () {
	const other = new WebSocket(__ENV.WS_URL + '/echo');
	other.onopen = () => {
		ws.connect(__ENV.WS_URL + '/echo', (socket) => {
			socket.on('open', () => {
				console.log('OPEN ' + JSON.stringify(goroutinesLeft()));
				socket.close(1000);
			});
		});
		other.close();
	};
}
`, probe.options(Options{}))

	requireCleanRun(t, run, 0)
	probe.requireNoneLeft(t, run)
	open := consoleMessages(t, run, "OPEN ")
	require.Len(t, open, 1)
	var rep probeReport
	require.NoError(t, json.Unmarshal([]byte(open[0]), &rep))
	require.Equal(t, 200, rep.Status)
	stacks := strings.Join(rep.Stacks, "\n")
	assert.Regexp(t, regexp.MustCompile(`xk6-ws/internal/conn\.\(\*Conn\)\.readLoop`), stacks,
		"the reader goroutines of the open connections are listed")
}
