package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// handshakeEndScript runs four scenarios of 5 VUs for 2s with gracefulStop
// 0: for each API, VUs whose handshake never ends (/hang) and VUs that make
// short sessions (/echo) as fast as they can. Every error a script sees is
// logged as "ERROR ...".
const handshakeEndScript = `
import ws from 'k6/ws';
import { WebSocket } from 'k6/websockets';

const scenario = (exec) => ({ executor: 'constant-vus', vus: 5, duration: '2s', gracefulStop: '0s', exec: exec });
export const options = {
	scenarios: {
		wsHang: scenario('wsHang'), wsFast: scenario('wsFast'),
		classHang: scenario('classHang'), classFast: scenario('classFast'),
	},
};
const hang = __ENV.WS_URL + '/hang';
const echo = __ENV.WS_URL + '/echo';

function socketAPI(url) {
	const res = ws.connect(url, (socket) => {
		socket.on('open', () => socket.send('x'));
		socket.on('message', () => socket.close());
		socket.on('error', (e) => console.log('ERROR ' + e.error()));
	});
	if (res.error) { console.log('ERROR ' + res.error); }
}

function webSocketClass(url) {
	const socket = new WebSocket(url);
	socket.onopen = () => socket.send('x');
	socket.onmessage = () => socket.close();
	socket.onerror = (e) => console.log('ERROR ' + e.error);
}

export function wsHang() { socketAPI(hang); }
export function wsFast() { socketAPI(echo); }
export function classHang() { webSocketClass(hang); }
export function classFast() { webSocketClass(echo); }
`

// TestEndOfTestDuringHandshakes: when duration ends with gracefulStop 0
// while handshakes hang, those handshakes are interrupted, not timed out:
// no error reaches the scripts, no session of theirs is counted, and their
// VUs make no more iterations. Every session gives one ws_sessions, one
// ws_connecting and one ws_session_duration, or none.
func TestEndOfTestDuringHandshakes(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, handshakeEndScript, Options{})

	requireCleanRun(t, run, 0)
	assert.NotContains(t, run.Stderr, "timed out")
	assert.Equal(t, strings.Count(run.Stderr, "ERROR "), strings.Count(run.Stderr, "ERROR websocket handshake interrupted"),
		"the only error a script may see is the interruption, while k6 stops it")
	for _, scenario := range []string{"wsHang", "wsFast", "classHang", "classFast"} {
		of := HasTags(map[string]string{"scenario": scenario})
		sessions := SumPoints(run.Points, metricSessions, of)
		assert.InDelta(t, sessions, float64(CountPoints(run.Points, metricConnect, of)), 0,
			"%s: one ws_connecting per session", scenario)
		assert.InDelta(t, sessions, float64(CountPoints(run.Points, metricDuration, of)), 0,
			"%s: one ws_session_duration per session", scenario)
		iterations := SumPoints(run.Points, "iterations", of)
		switch scenario {
		case "wsHang", "classHang":
			assert.Zero(t, sessions, "%s: a handshake cut off by the end is no session", scenario)
			assert.Zero(t, iterations, "%s: each VU's only iteration is cut off", scenario)
		default:
			assert.Positive(t, iterations, "%s: sessions were made", scenario)
			// Each complete iteration made one session; an iteration cut off
			// while its session was open made one too.
			assert.GreaterOrEqual(t, sessions, iterations, "%s", scenario)
			assert.LessOrEqual(t, sessions, iterations+5, "%s: at most one cut-off session per VU", scenario)
		}
	}
}
