package e2e

import (
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The interruption tests end k6 runs while sessions of both APIs are open:
// at the end of `duration` with gracefulStop 0 and above 0, by
// exec.test.abort() and by SIGINT. Each VU follows a plan, given in the
// PLANS environment variable: which API it uses and how its session ends.

// interruptScript runs the plan of each VU: plans[(VU id - 1) % plans.length].
// A plan is {api: 'ws' | 'class', end: 'never' | 'closes' | 'aborts'}:
// 'never' keeps the socket open and busy (a message every 100ms), 'closes'
// closes it with 1000 after 1500ms, 'aborts' calls exec.test.abort() once it
// has heard from every other VU. Every session joins the same /chat room,
// where each message names its VU, tags its metrics with its plan, logs
// "OPENED {plan}" when open, "ALL-OPEN {plan}" once it has heard from every
// other VU and "CLOSED {plan, code}" from its close handler.
const interruptScript = `
import ws from 'k6/ws';
import { WebSocket } from 'k6/websockets';
import exec from 'k6/execution';
` + goroutineProbe + `
export const options = JSON.parse(__ENV.OPTIONS);
const plans = JSON.parse(__ENV.PLANS);
const room = __ENV.WS_URL + '/chat?room=interrupt';

function log(what, plan, extra) {
	console.log(what + ' ' + JSON.stringify(Object.assign({ api: plan.api, end: plan.end, vu: exec.vu.idInTest }, extra)));
}

// heard records the VU a message came from; once every other VU was heard
// of, it logs ALL-OPEN and runs the 'aborts' plan.
function heard(plan, seen, data) {
	const from = String(data).split(' ')[1];
	if (from === String(exec.vu.idInTest) || seen[from]) { return; }
	seen[from] = true;
	if (Object.keys(seen).length !== plans.length - 1) { return; }
	log('ALL-OPEN', plan);
	if (plan.end === 'aborts') { exec.test.abort('the script gives up'); }
}

function socketAPI(plan, params) {
	const seen = {};
	ws.connect(room, params, (socket) => {
		socket.on('open', () => {
			log('OPENED', plan);
			socket.send('hello ' + exec.vu.idInTest);
			if (plan.end === 'closes') { socket.setTimeout(() => socket.close(1000), 1500); }
			if (plan.end !== 'closes') { socket.setInterval(() => socket.send('tick ' + exec.vu.idInTest), 100); }
		});
		socket.on('message', (m) => heard(plan, seen, m));
		socket.on('close', (code) => log('CLOSED', plan, { code: code }));
	});
}

function webSocketClass(plan, params) {
	const seen = {};
	const socket = new WebSocket(room, undefined, params);
	let timer;
	socket.onopen = () => {
		log('OPENED', plan);
		socket.send('hello ' + exec.vu.idInTest);
		if (plan.end === 'closes') { timer = setTimeout(() => socket.close(1000), 1500); }
		if (plan.end !== 'closes') { timer = setInterval(() => socket.send('tick ' + exec.vu.idInTest), 100); }
	};
	socket.onmessage = (e) => heard(plan, seen, e.data);
	socket.onclose = (e) => {
		clearTimeout(timer);
		clearInterval(timer);
		log('CLOSED', plan, { code: e.code });
	};
}

export default function () {
	const plan = plans[(exec.vu.idInTest - 1) % plans.length];
	const params = { tags: { api: plan.api, end: plan.end } };
	if (plan.api === 'ws') { socketAPI(plan, params); } else { webSocketClass(plan, params); }
}
`

// interruptPlan is one VU's plan.
type interruptPlan struct {
	API string `json:"api"`
	End string `json:"end"`
}

// interruptLog is an OPENED or CLOSED line of the script.
type interruptLog struct {
	API  string `json:"api"`
	End  string `json:"end"`
	VU   int    `json:"vu"`
	Code int    `json:"code"`
}

// Plans of the interruption tests.
var (
	planOpenWS       = interruptPlan{API: "ws", End: "never"}
	planOpenClass    = interruptPlan{API: "class", End: "never"}
	planClosesWS     = interruptPlan{API: "ws", End: "closes"}
	planClosesClass  = interruptPlan{API: "class", End: "closes"}
	planAbortsWS     = interruptPlan{API: "ws", End: "aborts"}
	planAbortsClass  = interruptPlan{API: "class", End: "aborts"}
	everyOpenSession = []interruptPlan{planOpenWS, planOpenClass}
)

// startupSlack bounds k6's own start and end around the test's timing.
const startupSlack = 5 * time.Second

// runInterrupt runs interruptScript with the plans, k6 options and signal.
func runInterrupt(t *testing.T, plans []interruptPlan, options string, signal *SignalAt) (Run, []interruptLog, []interruptLog) {
	t.Helper()
	plansJSON, err := json.Marshal(plans)
	require.NoError(t, err)
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, interruptScript, probe.options(Options{
		Env:    map[string]string{"PLANS": string(plansJSON), "OPTIONS": options},
		Signal: signal,
	}))
	probe.requireNoneLeft(t, run)
	opened := logsOf(t, run, "OPENED ")
	closed := logsOf(t, run, "CLOSED ")
	return run, opened, closed
}

// logsOf decodes the script's lines starting with prefix.
func logsOf(t *testing.T, run Run, prefix string) []interruptLog {
	t.Helper()
	var logs []interruptLog
	for _, msg := range consoleMessages(t, run, prefix) {
		var l interruptLog
		require.NoError(t, json.Unmarshal([]byte(msg), &l), "decoding %q", msg)
		logs = append(logs, l)
	}
	return logs
}

// requireSessionsWhole checks, for each plan, that every session was
// counted once in ws_sessions and got one ws_connecting and one
// ws_session_duration, and that there was at least one.
func requireSessionsWhole(t *testing.T, run Run, plans []interruptPlan) {
	t.Helper()
	for _, p := range plans {
		of := HasTags(map[string]string{"api": p.API, "end": p.End})
		sessions := SumPoints(run.Points, metricSessions, of)
		assert.GreaterOrEqual(t, sessions, 1.0, "%v: sessions", p)
		assert.InDelta(t, sessions, float64(CountPoints(run.Points, metricConnect, of)), 0, "%v: one ws_connecting per session", p)
		assert.InDelta(t, sessions, float64(CountPoints(run.Points, metricDuration, of)), 0,
			"%v: one ws_session_duration per session", p)
	}
}

// count counts the logs of plan p.
func count(logs []interruptLog, p interruptPlan) int {
	n := 0
	for _, l := range logs {
		if l.API == p.API && l.End == p.End {
			n++
		}
	}
	return n
}

// TestDurationEndsOpenSessionsWithoutGracefulStop: with gracefulStop 0 the
// sessions still open when duration ends are torn down at once, no handler
// of theirs runs, their metrics are whole and k6 ends on time with 0.
func TestDurationEndsOpenSessionsWithoutGracefulStop(t *testing.T) {
	t.Parallel()
	run, opened, closed := runInterrupt(t, everyOpenSession,
		`{"scenarios": {"s": {"executor": "constant-vus", "vus": 2, "duration": "2s", "gracefulStop": "0s"}}}`, nil)

	requireCleanRun(t, run, 0)
	assert.GreaterOrEqual(t, run.Duration, 2*time.Second, "the sessions last the whole duration")
	assert.Less(t, run.Duration, 2*time.Second+startupSlack, "k6 does not wait for the open sessions")
	assert.Equal(t, 1, count(opened, planOpenWS), "one k6/ws session, open until the end")
	assert.Equal(t, 1, count(opened, planOpenClass), "one WebSocket, open until the end")
	assert.Empty(t, closed, "no close handler runs once the VU's context is done")
	requireSessionsWhole(t, run, everyOpenSession)
	assert.Positive(t, SumPoints(run.Points, metricReceived, nil), "the sessions were busy until the end")
}

// TestGracefulStopLetsSessionsFinish: with gracefulStop 2s, the sessions
// that close within it do so cleanly, those that never close are torn down
// when it ends; k6 ends on time with 0.
func TestGracefulStopLetsSessionsFinish(t *testing.T) {
	t.Parallel()
	plans := []interruptPlan{planClosesWS, planClosesClass, planOpenWS, planOpenClass}
	run, opened, closed := runInterrupt(t, plans,
		`{"scenarios": {"s": {"executor": "constant-vus", "vus": 4, "duration": "2s", "gracefulStop": "2s"}}}`, nil)

	requireCleanRun(t, run, 0)
	// The open sessions hold their VUs until gracefulStop is over.
	assert.GreaterOrEqual(t, run.Duration, 4*time.Second, "duration and gracefulStop both pass")
	assert.Less(t, run.Duration, 4*time.Second+startupSlack, "k6 does not wait past gracefulStop")
	requireSessionsWhole(t, run, plans)

	for _, p := range []interruptPlan{planClosesWS, planClosesClass} {
		of := HasTags(map[string]string{"api": p.API, "end": p.End})
		sessions := int(SumPoints(run.Points, metricSessions, of))
		assert.GreaterOrEqual(t, sessions, 2, "%v: a session of 1.5s is still open when the 2s end", p)
		assert.Equal(t, sessions, count(opened, p), "%v: every session opened", p)
		assert.Equal(t, sessions, count(closed, p), "%v: every session, the last one too, closed within gracefulStop", p)
	}
	for _, l := range closed {
		assert.Equal(t, 1000, l.Code, "%+v: a clean close", l)
		assert.Equal(t, "closes", l.End, "%+v: no close handler of an interrupted session runs", l)
	}
	assert.Equal(t, 1, count(opened, planOpenWS))
	assert.Equal(t, 1, count(opened, planOpenClass))
}

// TestTestAbortEndsTheRun: exec.test.abort() in a handler of either API,
// called once the sessions of both APIs are open, ends the run at once with
// exit code 108; the other sessions are torn down, their metrics whole.
func TestTestAbortEndsTheRun(t *testing.T) {
	t.Parallel()
	for _, aborter := range []interruptPlan{planAbortsWS, planAbortsClass} {
		t.Run(aborter.API, func(t *testing.T) {
			t.Parallel()
			plans := []interruptPlan{aborter, planOpenWS, planOpenClass}
			run, opened, closed := runInterrupt(t, plans,
				`{"scenarios": {"s": {"executor": "constant-vus", "vus": 3, "duration": "30s"}}}`, nil)

			requireCleanRun(t, run, 108)
			assert.Contains(t, run.Stderr, "the script gives up", "k6 reports the abort's reason")
			assert.Less(t, run.Duration, startupSlack, "k6 does not wait for duration or gracefulStop")
			for _, p := range plans {
				assert.Equal(t, 1, count(opened, p), "%v: one session, open when the script aborts", p)
			}
			assert.Empty(t, closed, "no close handler runs once the test is aborted")
			requireSessionsWhole(t, run, plans)
		})
	}
}

// TestSIGINTEndsTheRun: SIGINT to k6 while sessions of both APIs are open
// ends the run at once with exit code 105.
func TestSIGINTEndsTheRun(t *testing.T) {
	t.Parallel()
	signal := &SignalAt{Output: "ALL-OPEN", Signal: syscall.SIGINT}
	run, opened, closed := runInterrupt(t, everyOpenSession,
		`{"scenarios": {"s": {"executor": "constant-vus", "vus": 2, "duration": "30s"}}}`, signal)

	require.True(t, run.Signaled, "k6 got SIGINT")
	requireCleanRun(t, run, 105)
	assert.Contains(t, run.Stderr, "received a 'interrupt' signal")
	assert.Less(t, run.Duration, startupSlack, "k6 does not wait for duration or gracefulStop")
	for _, p := range everyOpenSession {
		assert.Equal(t, 1, count(opened, p), "%v: one session, open at the signal", p)
	}
	assert.Empty(t, closed, "no close handler runs once the VU's context is done")
	requireSessionsWhole(t, run, everyOpenSession)
}
