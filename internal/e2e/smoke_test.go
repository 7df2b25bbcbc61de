package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smokeScript sends three messages on one k6/ws socket and closes it after
// the third echo (or after 10s, which the test's assertions then catch).
const smokeScript = `
import ws from 'k6/ws';

export const options = { vus: 1, iterations: 1 };

export default function () {
	let echoes = 0;
	const res = ws.connect(__ENV.WS_URL + '/echo', null, (socket) => {
		socket.on('open', () => {
			for (let i = 1; i <= 3; i++) {
				socket.send('message ' + i);
			}
		});
		socket.on('message', () => {
			echoes++;
			if (echoes === 3) {
				socket.close();
			}
		});
		socket.setTimeout(() => socket.close(), 10000);
	});
	console.log('status=' + res.status + ' echoes=' + echoes);
}
`

// TestSmokeWSEcho proves the harness end to end: a k6/ws script run by the
// built k6 against the per-run echo server, seen in the summary, in the
// samples and by the server.
func TestSmokeWSEcho(t *testing.T) {
	t.Parallel()
	run := RunK6Script(t, smokeScript, Options{})

	require.Equal(t, 0, run.ExitCode)
	assert.Contains(t, run.Stderr, "status=101 echoes=3")

	for metric, want := range map[string]float64{"ws_sessions": 1, "ws_msgs_sent": 3, "ws_msgs_received": 3} {
		assert.Equal(t, want, run.Summary.Metric(metric)["count"], "summary count of %s", metric)
		onEcho := HasTags(map[string]string{"url": run.Server.URL() + "/echo"})
		assert.Equal(t, want, SumPoints(run.Points, metric, onEcho), "sum of the samples of %s", metric)
	}
	assert.Equal(t, 1, CountPoints(run.Points, "ws_connecting", nil))

	stats := run.Server.Stats()
	assert.EqualValues(t, 1, stats.Connections, "connections the echo server accepted")
	assert.EqualValues(t, 3, stats.MessagesReceived, "messages the echo server received")
}
