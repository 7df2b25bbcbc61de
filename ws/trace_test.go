package ws_test

import (
	"strings"
	"testing"

	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
	"github.com/loadkit/xk6-ws/ws"
)

// traceLog runs an echo session in a VU whose K6_WS_DEBUG is debug (unset
// when empty) and returns what the VU logged.
func traceLog(t *testing.T, debug string) []string {
	t.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	env := map[string]string{}
	if debug != "" {
		env["K6_WS_DEBUG"] = debug
	}
	vu := wstest.NewVUWithEnv(t, ws.New(), "ws", env)
	logger, hook := logtest.NewNullLogger()
	vu.State.Logger = logger
	require.NoError(t, vu.VU.Runtime().Set("WS", srv.URL()))
	vu.MoveToVU()
	_, err = vu.Run(`ws.connect(WS + "/echo", {headers: {"X-Trace": "yes"}}, function(socket) {
		socket.on("open", function() { socket.send("hello"); });
		socket.on("message", function() { socket.close(1000); });
	});`)
	require.NoError(t, err)
	var out []string
	for _, e := range hook.AllEntries() {
		out = append(out, e.Message)
	}
	return out
}

func TestTraceOffLogsNothing(t *testing.T) {
	t.Parallel()
	assert.Empty(t, traceLog(t, ""))
	assert.Empty(t, traceLog(t, "0"))
}

func TestTraceLogsTheHandshakesHeaders(t *testing.T) {
	t.Parallel()
	log := traceLog(t, "1")
	require.Len(t, log, 1, "one entry, the handshake's: no frames")
	for _, want := range []string{
		"Request:\nGET /echo HTTP/1.1\n", "\nX-Trace: yes\n", "\nSec-WebSocket-Key: ", "\nUpgrade: websocket\n",
		"Response:\nHTTP/1.1 101 Switching Protocols\n", "\nSec-Websocket-Accept: ",
	} {
		assert.Contains(t, log[0], want)
	}
}

func TestFullTraceLogsEveryFrame(t *testing.T) {
	t.Parallel()
	log := traceLog(t, "full")
	require.NotEmpty(t, log)
	assert.True(t, strings.HasPrefix(log[0], "WebSocket handshake with "), log[0])
	assert.Equal(t, []string{
		`sent text frame, 5 bytes: "hello"`,
		`received text frame, 5 bytes: "hello"`,
		`sent close frame, 2 bytes: "\x03\xe8"`,
		`received close frame, 2 bytes: "\x03\xe8"`,
	}, log[1:])
}
