package e2e

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The deflate bomb tests connect each API with compression and a 1 MiB
// maxMessageSize to /deflate-bomb, which sends one message of 256 MiB of
// zeros in about 330 KB: the script must see an error event and close 1009,
// and k6's peak RSS must stay far below what the message inflates to.

// bombPath is the route of the tests' bomb, BOMB_PATH in the scripts.
const bombPath = "/deflate-bomb?size=268435456"

// maxBombRSS bounds k6's peak RSS during a bomb run. The same scripts
// reading a 1 MiB message that is not a bomb peak at about 50 MB (100 MB
// with XK6WS_E2E_RACE=1); reading the whole 256 MiB message took k6 past
// 1 GB.
const maxBombRSS = 160 << 20

// bombSocketAPI connects with k6/ws and logs what it saw as "RESULT {json}".
const bombSocketAPI = `
import ws from 'k6/ws';
export const options = { vus: 1, iterations: 1 };

export default function () {
	const r = { events: [], errors: [], sizes: [] };
	const params = { compression: 'deflate', maxMessageSize: 1048576 };
	const res = ws.connect(__ENV.WS_URL + __ENV.BOMB_PATH, params, (socket) => {
		socket.on('binaryMessage', (m) => { r.events.push('message'); r.sizes.push(m.byteLength); });
		socket.on('error', (e) => { r.events.push('error'); r.errors.push(e.error()); });
		socket.on('close', (code) => { r.events.push('close'); r.code = code; });
		socket.setTimeout(() => { r.events.push('gave-up'); socket.close(1000); }, 30000);
	});
	r.status = res.status;
	console.log('RESULT ' + JSON.stringify(r));
}
`

// bombWebSocketClass connects with the WebSocket class and logs what it saw
// as "RESULT {json}".
const bombWebSocketClass = `
import { WebSocket } from 'k6/websockets';
export const options = { vus: 1, iterations: 1 };

export default function () {
	const r = { events: [], errors: [], sizes: [], status: 101 };
	const params = { compression: 'deflate', maxMessageSize: 1048576 };
	const socket = new WebSocket(__ENV.WS_URL + __ENV.BOMB_PATH, undefined, params);
	socket.binaryType = 'arraybuffer';
	const guard = setTimeout(() => { r.events.push('gave-up'); socket.close(1000); }, 30000);
	socket.onmessage = (e) => { r.events.push('message'); r.sizes.push(e.data.byteLength); };
	socket.onerror = (e) => { r.events.push('error'); r.errors.push(e.error); };
	socket.onclose = (e) => {
		clearTimeout(guard);
		r.events.push('close');
		r.code = e.code;
		console.log('RESULT ' + JSON.stringify(r));
	};
}
`

// bombResult is what a bomb script logged.
type bombResult struct {
	Events []string `json:"events"`
	Errors []string `json:"errors"`
	Sizes  []int    `json:"sizes"`
	Code   int      `json:"code"`
	Status int      `json:"status"`
}

func TestDeflateBombSocketAPI(t *testing.T) {
	t.Parallel()
	requireBombDefused(t, bombSocketAPI)
}

func TestDeflateBombWebSocketClass(t *testing.T) {
	t.Parallel()
	requireBombDefused(t, bombWebSocketClass)
}

// requireBombDefused runs script against the bomb and checks what the
// script saw and k6's peak RSS.
func requireBombDefused(t *testing.T, script string) {
	t.Helper()
	run := RunK6Script(t, script, Options{
		Args: []string{"--log-format", "json"},
		Env:  map[string]string{"BOMB_PATH": bombPath},
	})
	requireCleanRun(t, run, 0)
	results := consoleRecords[bombResult](t, run, "RESULT ")
	require.Len(t, results, 1)
	r := results["0"]
	assert.Equal(t, 101, r.Status)
	assert.Equal(t, []string{"error", "close"}, r.Events, "no message is delivered")
	assert.Equal(t, []string{"websocket: received a message larger than maxMessageSize (1048576 bytes)"}, r.Errors)
	assert.Equal(t, 1009, r.Code)
	if runtime.GOOS != "linux" {
		return // only Linux reports the peak RSS
	}
	t.Logf("k6 peak RSS: %d MiB", run.PeakRSS>>20)
	require.Positive(t, run.PeakRSS)
	assert.Less(t, run.PeakRSS, int64(maxBombRSS), "k6's peak RSS in bytes")
}
