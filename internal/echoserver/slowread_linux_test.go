package echoserver_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

func TestSlowReadNoticesClientGoing(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/slowread")
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("never read")))
	require.Equal(t, int64(1), srv.Stats().OpenConnections)

	// The server never reads, yet it lets go once the client's FIN arrives.
	require.NoError(t, conn.NetConn().Close())
	require.Eventually(t, func() bool { return srv.Stats().OpenConnections == 0 }, timeout, time.Millisecond)
	assert.Equal(t, int64(0), srv.Stats().MessagesReceived)
}
