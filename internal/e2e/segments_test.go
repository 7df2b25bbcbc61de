package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// segmentScript is a fixed amount of work that k6 can split into execution
// segments: 100 iterations, shared by 6 VUs, of a WebSocket-class session
// that sends one message and closes once it is echoed, and 100 of a k6/ws
// session that does the same: 200 sessions, 200 messages each way.
const segmentScript = `
import ws from 'k6/ws';
import { WebSocket } from 'k6/websockets';
import { check } from 'k6';

export const options = {
	scenarios: {
		classes: { executor: 'shared-iterations', vus: 6, iterations: 100, exec: 'classes' },
		sockets: { executor: 'shared-iterations', vus: 6, iterations: 100, exec: 'sockets' },
	},
};

export function classes() {
	const socket = new WebSocket(__ENV.WS_URL + '/echo');
	let echoes = 0;
	socket.onopen = () => socket.send('class');
	socket.onmessage = () => { echoes++; socket.close(); };
	socket.onclose = () => check(echoes, { 'class: echoed': (n) => n === 1 });
}

export function sockets() {
	let echoes = 0;
	ws.connect(__ENV.WS_URL + '/echo', null, (socket) => {
		socket.on('open', () => socket.send('socket'));
		socket.on('message', () => { echoes++; socket.close(1000); });
		socket.setTimeout(() => socket.close(), 10000);
	});
	check(echoes, { 'socket: echoed': (n) => n === 1 });
}
`

// segmentTotals are the WebSocket counts of one k6 run, or of several.
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

// TestSegmentsSplitTheLoad runs segmentScript as three k6 processes at the
// same time, with the execution segments 0:1/3, 1/3:2/3 and 2/3:1 of one
// segment sequence, against one shared echo server: the way a test is
// spread over the processes of one machine (past its open-files limit),
// over machines, or over the pods of a k6-operator TestRun. The three
// together must do exactly the script's work, as k6 and as the server
// counted it, and each a third of it (100 iterations split as 34, 33, 33).
// The test is not parallel, so that its three runs, its parallel subtests,
// wait for no slot that another test holds.
func TestSegmentsSplitTheLoad(t *testing.T) {
	shared := StartEchoServer(t, echoserver.Options{})
	segments := []string{"0:1/3", "1/3:2/3", "2/3:1"}
	names := []string{"first-third", "second-third", "last-third"}
	runs := make([]Run, len(segments))
	t.Run("thirds", func(t *testing.T) {
		for i, segment := range segments {
			t.Run(names[i], func(t *testing.T) {
				t.Parallel()
				runs[i] = RunK6Script(t, segmentScript, Options{
					Env: map[string]string{"WS_URL": shared.URL()},
					Args: []string{
						"--execution-segment", segment,
						"--execution-segment-sequence", "0,1/3,2/3,1",
					},
				})
			})
		}
	})
	require.False(t, t.Failed(), "a segment failed to run")

	var sum segmentTotals
	for i, run := range runs {
		requireSegmentRunOK(t, run)
		got := totalsOf(run)
		// Each scenario's 100 iterations split as 34, 33, 33.
		third := 2 * 33.0
		if i == 0 {
			third = 2 * 34.0
		}
		assert.Equal(t, segmentTotals{sessions: third, sent: third, received: third}, got,
			"segment %s does its third of the work", segments[i])
		sum.sessions += got.sessions
		sum.sent += got.sent
		sum.received += got.received
	}
	assert.Equal(t, segmentTotals{sessions: 200, sent: 200, received: 200}, sum,
		"the three segments together, as k6 counted them")

	stats := shared.Stats()
	assert.EqualValues(t, 200, stats.Connections, "connections the shared server accepted")
	assert.EqualValues(t, 200, stats.MessagesReceived, "messages the shared server received")
	assert.EqualValues(t, 200, stats.MessagesSent, "messages the shared server sent")
}

// requireSegmentRunOK asserts that a run of segmentScript succeeded.
func requireSegmentRunOK(t *testing.T, run Run) {
	t.Helper()
	require.Equal(t, 0, run.ExitCode, "k6's exit code")
	checks := run.Summary.Metric("checks")
	require.NotNil(t, checks, "no check ran")
	require.Zero(t, checks["fails"], "failed checks")
}
