package websockets

import (
	"strings"
	"testing"

	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

// traced runs script in a VU whose K6_WS_DEBUG is debug and returns what the
// VU logged. The script has the echo server's URL as WS_URL.
func traced(t *testing.T, debug, script string) []string {
	t.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	vu := wstest.NewVUWithEnv(t, New(), "", map[string]string{"K6_WS_DEBUG": debug})
	logger, hook := logtest.NewNullLogger()
	vu.State.Logger = logger
	require.NoError(t, vu.VU.Runtime().Set("WS_URL", srv.URL()))
	vu.MoveToVU()
	_, err = vu.Run(script)
	require.NoError(t, err)
	var out []string
	for _, e := range hook.AllEntries() {
		out = append(out, e.Message)
	}
	return out
}

func TestFullTraceOfTheClassAndTheStream(t *testing.T) {
	t.Parallel()
	frames := []string{
		`sent text frame, 2 bytes: "hi"`,
		`received text frame, 2 bytes: "hi"`,
		`sent close frame, 2 bytes: "\x03\xe8"`,
		`received close frame, 2 bytes: "\x03\xe8"`,
	}
	for name, script := range map[string]string{
		"WebSocket": `
			const ws = new WebSocket(WS_URL + "/echo");
			ws.onopen = () => ws.send("hi");
			ws.onmessage = () => ws.close(1000);`,
		"WebSocketStream": `(async () => {
			const wss = new WebSocketStream(WS_URL + "/echo");
			const { readable, writable } = await wss.opened;
			await writable.getWriter().write("hi");
			await readable.getReader().read();
			wss.close({ closeCode: 1000 });
			await wss.closed;
		})()`,
	} {
		log := traced(t, "full", script)
		require.NotEmpty(t, log, name)
		assert.True(t, strings.HasPrefix(log[0], "WebSocket handshake with "), name)
		assert.Contains(t, log[0], "\nHTTP/1.1 101 Switching Protocols\n", name)
		assert.Equal(t, frames, log[1:], name)

		assert.Empty(t, traced(t, "", script), name+": off, nothing is logged")
	}
}
