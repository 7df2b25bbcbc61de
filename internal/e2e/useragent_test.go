package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// userAgentScript logs, as "UA {json}", the User-Agent that /headers saw on
// the handshake of each API, with the params given in PARAMS.
const userAgentScript = `
import ws from 'k6/ws';
import { WebSocket } from 'k6/websockets';

export const options = JSON.parse(__ENV.OPTIONS);
const params = JSON.parse(__ENV.PARAMS);
const url = __ENV.WS_URL + '/headers';

function report(api, data) {
	const ua = JSON.parse(data).headers['User-Agent'];
	console.log('UA ' + JSON.stringify({ api: api, ua: ua === undefined ? null : ua }));
}

export default function () {
	ws.connect(url, params, (socket) => {
		socket.on('message', (data) => { report('ws', data); socket.close(); });
	});
	const socket = new WebSocket(url, null, params);
	socket.onmessage = (e) => { report('class', e.data); socket.close(); };
}
`

// k6Version is the version of the k6 binary under test, as `k6 version`
// prints it, without its "v".
func k6Version(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, k6Binary, "version").Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`^\S+ v(\S+) `).FindSubmatch(out)
	require.NotNil(t, m, "no version in %q", out)
	return string(m[1])
}

// TestHandshakeSendsK6UserAgent: both APIs send k6's userAgent on the
// handshake, its default when the script sets none, as stock k6 does; a
// User-Agent in params.headers wins.
func TestHandshakeSendsK6UserAgent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, options, params, want string
	}{
		{"default", `{"iterations": 1}`, `{}`, "Grafana k6/" + k6Version(t)},
		{"option", `{"iterations": 1, "userAgent": "load/7"}`, `{}`, "load/7"},
		{"headers win", `{"iterations": 1, "userAgent": "load/7"}`, `{"headers": {"User-Agent": "mine/1"}}`, "mine/1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := RunK6Script(t, userAgentScript, Options{
				Env:  map[string]string{"OPTIONS": tc.options, "PARAMS": tc.params},
				Args: []string{"--log-format", "json"},
			})
			require.Equal(t, 0, run.ExitCode)
			got := map[string]any{}
			for _, msg := range consoleMessages(t, run, "UA ") {
				var line struct {
					API string `json:"api"`
					UA  any    `json:"ua"`
				}
				require.NoError(t, json.Unmarshal([]byte(msg), &line))
				got[line.API] = line.UA
			}
			assert.Equal(t, map[string]any{"ws": tc.want, "class": tc.want}, got)
		})
	}
}
