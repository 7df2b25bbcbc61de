package echoserver_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

func TestRPCAnswersRequestsWithTheirID(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/rpc")
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(`{"note":"no id"}`)))
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(`not json`)))
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(`{"id":7,"x":1}`)))
	assert.JSONEq(t, `{"id":7,"result":{"id":7,"x":1}}`, string(readMessage(t, conn, websocket.TextMessage)),
		"messages without an id get no answer, so the first answer is the request's")
}

func TestRPCDelaysItsAnswers(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/rpc?delay=1h")
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(`{"id":"late"}`)))
	conn2 := dial(t, srv, "/rpc?delay=1ms")
	require.NoError(t, conn2.WriteMessage(websocket.TextMessage, []byte(`{"id":"soon"}`)))
	assert.JSONEq(t, `{"id":"soon","result":{"id":"soon"}}`, string(readMessage(t, conn2, websocket.TextMessage)))
	// The hour-long wait ends with the server, which Cleanup closes.
}

func TestRPCNeverAnswers(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/rpc?never=true")
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(`{"id":1}`)))
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(`{"id":2}`)))
	require.Eventually(t, func() bool { return srv.Stats().MessagesReceived == 2 }, timeout, time.Millisecond)
	require.NoError(t, conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(timeout)))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(timeout)))
	_, _, err := conn.ReadMessage()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce, "the close answer is the first frame that comes")
	assert.Equal(t, websocket.CloseNormalClosure, ce.Code)
}

func TestHeartbeatKeepsAClientThatAnswers(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/heartbeat?interval=1ms&timeout=10s")
	for range 3 {
		assert.Equal(t, "2", string(readMessage(t, conn, websocket.TextMessage)))
		require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("3")))
	}

	quiet := dial(t, srv, "/heartbeat?interval=1h&timeout=10s")
	assert.Equal(t, "2", string(readMessage(t, quiet, websocket.TextMessage)))
	require.NoError(t, quiet.WriteMessage(websocket.TextMessage, []byte("3")))
	roundTrip(t, quiet, "other messages are echoed")
}

func TestHeartbeatClosesAClientThatDoesNotAnswer(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/heartbeat?interval=1h&timeout=1ms&ping=ping&pong=pong")
	assert.Equal(t, "ping", string(readMessage(t, conn, websocket.TextMessage)))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(timeout)))
	_, _, err := conn.ReadMessage()
	var ce *websocket.CloseError
	require.True(t, errors.As(err, &ce), "want a close frame, got %v", err)
	assert.Equal(t, websocket.ClosePolicyViolation, ce.Code)
	assert.Contains(t, ce.Text, "heartbeat: no answer within 1ms")
}

func TestHeartbeatRefusesAZeroInterval(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	_, hs, err := dialWith(t, &websocket.Dialer{}, srv, "/heartbeat?interval=0s", nil)
	require.Error(t, err)
	assert.Equal(t, 400, hs.status)
}
