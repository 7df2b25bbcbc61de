package echoserver_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// joinChat connects to /chat with query and proves the member is in its
// room by sending a message a witness already in the room receives (or, with
// no witness, that the member receives itself).
func joinChat(t *testing.T, srv *echoserver.Server, query string, witness *websocket.Conn) *websocket.Conn {
	t.Helper()
	conn := dial(t, srv, "/chat"+query)
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("joined "+query)))
	reader := conn
	if witness != nil {
		reader = witness
	}
	assert.Equal(t, "joined "+query, string(readMessage(t, reader, websocket.TextMessage)))
	return conn
}

func TestChatBroadcastsToRoomIncludingSender(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	a := joinChat(t, srv, "?room=r1", nil)
	b := joinChat(t, srv, "?room=r1", a)
	assert.Equal(t, "joined ?room=r1", string(readMessage(t, b, websocket.TextMessage)))

	require.NoError(t, a.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}))
	assert.Equal(t, []byte{1, 2, 3}, readMessage(t, a, websocket.BinaryMessage))
	assert.Equal(t, []byte{1, 2, 3}, readMessage(t, b, websocket.BinaryMessage))
}

func TestChatSelfFalseSkipsSender(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	witness := joinChat(t, srv, "", nil) // lobby
	quiet := joinChat(t, srv, "?self=false", witness)

	require.NoError(t, quiet.WriteMessage(websocket.TextMessage, []byte("not for me")))
	assert.Equal(t, "not for me", string(readMessage(t, witness, websocket.TextMessage)))
	require.NoError(t, witness.WriteMessage(websocket.TextMessage, []byte("for you")))
	// Broadcasts reach each member in order: had the first come back, it
	// would be read here.
	assert.Equal(t, "for you", string(readMessage(t, quiet, websocket.TextMessage)))
}

func TestChatRoomsAreSeparate(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	lobby := joinChat(t, srv, "", nil)
	other := joinChat(t, srv, "?room=other", nil)

	roundTrip(t, lobby, "lobby only")
	roundTrip(t, other, "other only")
}

func TestChatDisconnectsSlowMemberWith1008(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	slow := joinChat(t, srv, "?room=slow", nil)
	sender := joinChat(t, srv, "?room=slow&self=false", slow)

	// The slow member does not read: its TCP buffers, then its queue fill up.
	const messages = 3000
	payload := bytes.Repeat([]byte{'x'}, 16<<10)
	for range messages {
		require.NoError(t, sender.WriteMessage(websocket.BinaryMessage, payload))
	}
	// Every broadcast is done once the server has counted all messages.
	wantReceived := int64(messages + 2)
	require.Eventually(t, func() bool { return srv.Stats().MessagesReceived == wantReceived },
		timeout, time.Millisecond)

	err := readUntilError(t, slow, messages+1)
	assert.Equal(t, websocket.ClosePolicyViolation, closeErrorOf(t, err).Code)
	// The sender and the room carry on.
	fresh := joinChat(t, srv, "?room=slow", nil)
	require.NoError(t, sender.WriteMessage(websocket.TextMessage, []byte("still here")))
	assert.Equal(t, "still here", string(readMessage(t, fresh, websocket.TextMessage)))
}
