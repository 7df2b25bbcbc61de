package echoserver_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

func TestHangNeverAnswersHandshake(t *testing.T) {
	srv, err := echoserver.Start(echoserver.Options{Logf: t.Logf})
	require.NoError(t, err)
	c := rawDial(t, srv)
	writeHandshake(t, c, "/hang")

	require.NoError(t, c.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	_, err = c.Read(make([]byte, 1))
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout())

	// Close ends the hijacked connection: the client sees EOF, not a timeout.
	require.NoError(t, srv.Close())
	require.NoError(t, c.SetReadDeadline(time.Now().Add(timeout)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, int64(1), srv.Stats().Connections)
	assert.Equal(t, int64(0), srv.Stats().OpenConnections)
}

func TestGarbageIsNotHTTP(t *testing.T) {
	srv := startServer(t, echoserver.Options{})

	_, _, err := dialWith(t, &websocket.Dialer{}, srv, "/garbage", nil)
	require.Error(t, err)
	require.NotErrorIs(t, err, websocket.ErrBadHandshake)
	assert.Contains(t, err.Error(), "malformed HTTP")

	c := rawDial(t, srv)
	writeHandshake(t, c, "/garbage")
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(got, []byte("this is not HTTP\r\n\r\n")), "got %q", got)
}

func TestDropEndsWithoutCloseFrame(t *testing.T) {
	t.Run("fin", func(t *testing.T) {
		srv := startServer(t, echoserver.Options{})
		conn := dial(t, srv, "/drop?after=1&mode=fin")
		roundTrip(t, conn, "one")
		_, _, err := conn.ReadMessage()
		// Gorilla reports an EOF without a close frame as 1006, which never
		// travels on the wire.
		ce := closeErrorOf(t, err)
		assert.Equal(t, websocket.CloseAbnormalClosure, ce.Code)
		assert.Contains(t, ce.Text, "unexpected EOF")
	})
	t.Run("rst", func(t *testing.T) {
		srv := startServer(t, echoserver.Options{})
		conn := dial(t, srv, "/drop?mode=rst")
		_, _, err := conn.ReadMessage()
		require.ErrorIs(t, err, syscall.ECONNRESET)
	})
}

func TestNoCloseIgnoresCloseFrame(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/noclose")
	roundTrip(t, conn, "data still echoes")

	require.NoError(t, conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(timeout)))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	_, _, err := conn.ReadMessage()
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout(), "want a read timeout, got %v", err)
	assert.Equal(t, int64(1), srv.Stats().OpenConnections)

	// Once the client drops TCP the server lets go too.
	require.NoError(t, conn.NetConn().Close())
	require.Eventually(t, func() bool { return srv.Stats().OpenConnections == 0 }, timeout, time.Millisecond)
}

func TestBigSendsOneLargeBinaryMessage(t *testing.T) {
	srv := startServer(t, echoserver.Options{})

	conn := dial(t, srv, "/big")
	assert.Equal(t, pattern(1<<20), readMessage(t, conn, websocket.BinaryMessage))
	roundTrip(t, conn, "after big")

	conn = dial(t, srv, "/big?size=5000001")
	assert.Len(t, readMessage(t, conn, websocket.BinaryMessage), 5000001)
}

func TestInvalidUTF8ReachesGorillaClientUnchecked(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/invalid-utf8")
	// gorilla/websocket v1.5 does not validate text payloads: the bytes
	// arrive as a text message. Clients that validate fail with 1007.
	assert.Equal(t, []byte{0xff, 0xfe}, readMessage(t, conn, websocket.TextMessage))
	roundTrip(t, conn, "then echoes")
}

func TestFragmentedSendsNFrames(t *testing.T) {
	tests := []struct {
		query       string
		parts, size int
	}{
		{"", 3, 3000},
		{"?parts=5&size=70000", 5, 70000},
		{"?parts=1&size=10", 1, 10},
		{"?parts=4&size=2", 4, 2},
	}
	srv := startServer(t, echoserver.Options{})
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, br := rawUpgrade(t, srv, "/fragmented"+tt.query)
			var payload []byte
			for i := range tt.parts {
				f, err := readFrame(br)
				require.NoError(t, err)
				wantOp := byte(0x0)
				if i == 0 {
					wantOp = 0x1
				}
				assert.Equal(t, wantOp, f.opcode, "frame %d opcode", i)
				assert.Equal(t, i == tt.parts-1, f.fin, "frame %d FIN", i)
				payload = append(payload, f.payload...)
			}
			assert.Equal(t, pattern(tt.size), payload)
		})
	}

	conn := dial(t, srv, "/fragmented")
	assert.Equal(t, pattern(3000), readMessage(t, conn, websocket.TextMessage))
	roundTrip(t, conn, "then echoes")
}

func TestSlowReadPushesBack(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/slowread")

	// Writes block once the server's and our TCP buffers are full.
	require.NoError(t, conn.SetWriteDeadline(time.Now().Add(500*time.Millisecond)))
	chunk := bytes.Repeat([]byte{'s'}, 1<<20)
	var err error
	for range 256 {
		if err = conn.WriteMessage(websocket.BinaryMessage, chunk); err != nil {
			break
		}
	}
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout(), "want a write timeout, got %v", err)
	assert.Equal(t, int64(0), srv.Stats().MessagesReceived)
}

func TestCloseEndsEveryConnection(t *testing.T) {
	srv, err := echoserver.Start(echoserver.Options{Logf: t.Logf})
	require.NoError(t, err)
	var conns []*websocket.Conn
	for _, path := range []string{"/echo", "/push?size=1000", "/chat", "/noclose", "/slowread", "/ping?count=0&interval=1ms"} {
		conns = append(conns, dial(t, srv, path))
	}
	hang := rawDial(t, srv)
	writeHandshake(t, hang, "/hang")
	// The noclose connection has had its close frame.
	require.NoError(t, conns[3].WriteControl(websocket.CloseMessage, nil, time.Now().Add(timeout)))
	require.Eventually(t, func() bool { return srv.Stats().Connections == 7 }, timeout, time.Millisecond)

	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(timeout):
		t.Fatal("Close did not return")
	}
	assert.Equal(t, int64(0), srv.Stats().OpenConnections)
	for i, conn := range conns {
		err := readUntilError(t, conn, 10_000_000)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			assert.Equal(t, websocket.CloseAbnormalClosure, ce.Code, "connection %d", i)
		}
	}
	_, err = io.ReadAll(hang)
	require.NoError(t, err)

	// A closed server accepts nothing.
	d := net.Dialer{Timeout: timeout}
	_, err = d.DialContext(t.Context(), "tcp", srv.Addr())
	require.Error(t, err)
	require.NoError(t, srv.Close(), "a second Close")
	assert.True(t, strings.HasPrefix(srv.URL(), "ws://127.0.0.1:"))
}
