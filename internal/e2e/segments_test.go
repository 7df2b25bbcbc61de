package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// segmentScript is a fixed amount of work that k6 can split into execution
// segments: 4 VUs x 3 iterations of a WebSocket-class session sending 5
// messages, and 10 iterations shared by 2 VUs of a k6/ws session sending 3:
// 22 sessions, 90 messages in all. Messages go 50ms apart, so that a run
// lasts about a second and two runs started together overlap.
const segmentScript = `
import ws from 'k6/x/ws';
import { WebSocket } from 'k6/x/websockets';
import { check } from 'k6';

export const options = {
	scenarios: {
		classes: { executor: 'per-vu-iterations', vus: 4, iterations: 3, exec: 'classes' },
		sockets: { executor: 'shared-iterations', vus: 2, iterations: 10, exec: 'sockets' },
	},
};

export function classes() {
	const socket = new WebSocket(__ENV.WS_URL + '/echo');
	let echoes = 0;
	socket.onopen = () => {
		let sent = 0;
		const timer = setInterval(() => {
			socket.send('class ' + sent);
			if (++sent === 5) clearInterval(timer);
		}, 50);
	};
	socket.onmessage = () => { if (++echoes === 5) socket.close(); };
	socket.onclose = () => check(echoes, { 'class: all echoed': (n) => n === 5 });
}

export function sockets() {
	let echoes = 0;
	ws.connect(__ENV.WS_URL + '/echo', null, (socket) => {
		let sent = 0;
		socket.setInterval(() => { if (sent < 3) socket.send('socket ' + sent++); }, 50);
		socket.on('message', () => { if (++echoes === 3) socket.close(1000); });
		socket.setTimeout(() => socket.close(), 10000);
	});
	check(echoes, { 'socket: all echoed': (n) => n === 3 });
}
`

// segmentTotals are the WebSocket counts of one k6 run.
type segmentTotals struct {
	sessions, sent, received float64
}

func totalsOf(run Run) segmentTotals {
	return segmentTotals{
		sessions: SumPoints(run.Points, "ws_sessions", nil),
		sent:     SumPoints(run.Points, "ws_msgs_sent", nil),
		received: SumPoints(run.Points, "ws_msgs_received", nil),
	}
}

// TestSegmentsSplitTheLoad runs the same script once whole and once as two
// k6 processes at the same time, with the complementary execution segments
// 0:1/2 and 1/2:1 of one segment sequence, against one shared echo server
// (the way a test is spread over machines, or over the pods of a k6-operator
// TestRun). Each half must do exactly half the work, and both halves
// together, as k6 and as the server counted it, what the whole run did.
//
// The test is not parallel, so that the two halves, its parallel subtests,
// do not wait for slots taken by other tests: they run concurrently, which
// the test checks.
func TestSegmentsSplitTheLoad(t *testing.T) {
	whole := RunK6Script(t, segmentScript, Options{})
	requireSegmentRunOK(t, whole)
	want := totalsOf(whole)
	require.Equal(t, segmentTotals{sessions: 22, sent: 90, received: 90}, want, "the whole run")
	wholeStats := whole.Server.Stats()

	shared := StartEchoServer(t, echoserver.Options{})
	segments := []string{"0:1/2", "1/2:1"}
	names := []string{"first-half", "second-half"}
	halves := make([]Run, len(segments))
	spans := make([][2]time.Time, len(segments))
	t.Run("halves", func(t *testing.T) {
		for i, segment := range segments {
			t.Run(names[i], func(t *testing.T) {
				t.Parallel()
				spans[i][0] = time.Now()
				halves[i] = RunK6Script(t, segmentScript, Options{
					Env: map[string]string{"WS_URL": shared.URL()},
					Args: []string{
						"--execution-segment", segment,
						"--execution-segment-sequence", "0,1/2,1",
					},
				})
				spans[i][1] = time.Now()
			})
		}
	})
	require.False(t, t.Failed(), "a half failed to run")
	assert.True(t, spans[0][0].Before(spans[1][1]) && spans[1][0].Before(spans[0][1]),
		"the two halves ran one after the other, not at the same time: %v", spans)

	var sum segmentTotals
	for i, half := range halves {
		requireSegmentRunOK(t, half)
		got := totalsOf(half)
		assert.Equal(t, segmentTotals{sessions: want.sessions / 2, sent: want.sent / 2, received: want.received / 2},
			got, "segment %s does half the work", segments[i])
		sum.sessions += got.sessions
		sum.sent += got.sent
		sum.received += got.received
	}
	assert.Equal(t, want, sum, "both halves together, as k6 counted them")

	stats := shared.Stats()
	assert.Equal(t, wholeStats.Connections, stats.Connections, "connections the shared server accepted")
	assert.Equal(t, wholeStats.MessagesReceived, stats.MessagesReceived, "messages the shared server received")
	assert.Equal(t, wholeStats.MessagesSent, stats.MessagesSent, "messages the shared server sent")
}

// requireSegmentRunOK asserts that a run of segmentScript succeeded.
func requireSegmentRunOK(t *testing.T, run Run) {
	t.Helper()
	require.Equal(t, 0, run.ExitCode, "k6's exit code")
	checks := run.Summary.Metric("checks")
	require.NotNil(t, checks, "no check ran")
	require.Zero(t, checks["fails"], "failed checks")
}
