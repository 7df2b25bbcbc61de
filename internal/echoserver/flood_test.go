package echoserver_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// closeAndCount sends a close frame with code and reads until the server's
// close reply, which must carry the same code. It returns how many data
// messages came before the reply, each required to be pattern(size) of type
// typ.
func closeAndCount(t *testing.T, conn *websocket.Conn, code, typ, size int) int {
	t.Helper()
	require.NoError(t, conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(code, ""), time.Now().Add(timeout)))
	want := pattern(size)
	for n := 0; ; n++ {
		gotType, data, err := conn.ReadMessage()
		if err != nil {
			assert.Equal(t, code, closeErrorOf(t, err).Code)
			return n
		}
		require.Equal(t, typ, gotType)
		require.Equal(t, want, data)
	}
}

// requireAllClosed waits until the server has no open connection.
func requireAllClosed(t *testing.T, srv *echoserver.Server) {
	t.Helper()
	require.Eventually(t, func() bool { return srv.Stats().OpenConnections == 0 }, timeout, time.Millisecond)
}

func TestPushFloodSendsExactlyCount(t *testing.T) {
	const count, size = 100_000, 16
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, fmt.Sprintf("/push?count=%d&size=%d", count, size))

	want := pattern(size)
	for i := range count {
		typ, data, err := conn.ReadMessage()
		require.NoError(t, err, "message %d", i)
		require.Equal(t, websocket.TextMessage, typ, "message %d", i)
		require.Equal(t, want, data, "message %d", i)
	}
	// Nothing follows the last message but the answer to our close.
	assert.Equal(t, 0, closeAndCount(t, conn, websocket.CloseNormalClosure, websocket.TextMessage, size))
	st := srv.Stats()
	assert.Equal(t, int64(count), st.MessagesSent)
	assert.Equal(t, int64(count*size), st.BytesSent)
}

func TestPushFloodFrameSizes(t *testing.T) {
	// Around the 7-, 16- and 64-bit payload lengths, and beyond one batch.
	tests := []struct {
		count, size int
		binary      bool
	}{
		{count: 5000, size: 0},
		{count: 3000, size: 125, binary: true},
		{count: 3000, size: 126},
		{count: 5, size: 65535, binary: true},
		{count: 5, size: 65536},
		{count: 3, size: 200_000, binary: true},
	}
	srv := startServer(t, echoserver.Options{})
	var sent, bytes int64
	for _, tt := range tests {
		t.Run(fmt.Sprintf("count=%d/size=%d/binary=%t", tt.count, tt.size, tt.binary), func(t *testing.T) {
			conn := dial(t, srv, fmt.Sprintf("/push?count=%d&size=%d&binary=%t", tt.count, tt.size, tt.binary))
			typ := websocket.TextMessage
			if tt.binary {
				typ = websocket.BinaryMessage
			}
			for range tt.count {
				assert.Equal(t, pattern(tt.size), readMessage(t, conn, typ))
			}
			assert.Equal(t, 0, closeAndCount(t, conn, websocket.CloseNormalClosure, typ, tt.size))
			sent += int64(tt.count)
			bytes += int64(tt.count * tt.size)
			assert.Equal(t, sent, srv.Stats().MessagesSent)
			assert.Equal(t, bytes, srv.Stats().BytesSent)
		})
	}
}

func TestPushFloodFramesAreWholeAndUnmasked(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	_, br := rawUpgrade(t, srv, "/push?count=2000&size=200&binary=true")

	for range 2000 {
		f, err := readFrame(br)
		require.NoError(t, err)
		assert.True(t, f.fin)
		assert.Equal(t, byte(websocket.BinaryMessage), f.opcode)
		assert.Equal(t, pattern(200), f.payload)
	}
}

func TestPushFloodEndsWithCloseHandshake(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?size=1000")

	for range 1000 {
		assert.Equal(t, pattern(1000), readMessage(t, conn, websocket.TextMessage))
	}
	n := 1000 + closeAndCount(t, conn, 4001, websocket.TextMessage, 1000)
	requireAllClosed(t, srv)
	// The client got every message the server counted, and none after the
	// close reply.
	assert.Equal(t, int64(n), srv.Stats().MessagesSent)
	assert.Equal(t, int64(1000*n), srv.Stats().BytesSent)
}

func TestPushFloodAnswersPings(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?size=1024")
	pongs := make(chan string, 1)
	conn.SetPongHandler(func(data string) error {
		pongs <- data
		return nil
	})

	for i := range 3 {
		payload := fmt.Sprintf("ping %d", i)
		require.NoError(t, conn.WriteControl(websocket.PingMessage, []byte(payload), time.Now().Add(timeout)))
		got := readUntilPong(t, conn, pongs)
		assert.Equal(t, payload, got)
	}
	// The flood goes on after the pongs.
	for range 1000 {
		assert.Equal(t, pattern(1024), readMessage(t, conn, websocket.TextMessage))
	}
	closeAndCount(t, conn, websocket.CloseNormalClosure, websocket.TextMessage, 1024)
}

// readUntilPong reads flood messages until the pong handler delivers a
// pong, at most 10 million messages.
func readUntilPong(t *testing.T, conn *websocket.Conn, pongs <-chan string) string {
	t.Helper()
	for range 10_000_000 {
		select {
		case p := <-pongs:
			return p
		default:
		}
		readMessage(t, conn, websocket.TextMessage)
	}
	t.Fatal("no pong")
	return ""
}

func TestPushFloodAnswersPingAfterLastMessage(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?count=10")
	var pongs []string
	conn.SetPongHandler(func(data string) error {
		pongs = append(pongs, data)
		return nil
	})
	for range 10 {
		readMessage(t, conn, websocket.TextMessage)
	}

	require.NoError(t, conn.WriteControl(websocket.PingMessage, []byte("late"), time.Now().Add(timeout)))
	assert.Equal(t, 0, closeAndCount(t, conn, websocket.CloseNormalClosure, websocket.TextMessage, 16))
	assert.Equal(t, []string{"late"}, pongs)
}

func TestPushFloodProtocolErrorEndsWithCloseFrame(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	c, br := rawUpgrade(t, srv, "/push?size=1000")
	f, err := readFrame(br)
	require.NoError(t, err)
	require.Equal(t, pattern(1000), f.payload)

	// Client frames must be masked: this one makes gorilla fail the
	// connection with 1002, which must reach us between whole frames.
	_, err = c.Write([]byte{0x81, 0x02, 'h', 'i'})
	require.NoError(t, err)
	for range 10_000_000 {
		f, err := readFrame(br)
		require.NoError(t, err)
		if f.opcode == websocket.CloseMessage {
			require.GreaterOrEqual(t, len(f.payload), 2)
			assert.Equal(t, websocket.CloseProtocolError, int(binary.BigEndian.Uint16(f.payload)))
			_, err = readFrame(br)
			require.ErrorIs(t, err, io.EOF)
			return
		}
		require.Equal(t, byte(websocket.TextMessage), f.opcode)
		require.Equal(t, pattern(1000), f.payload)
	}
	t.Fatal("no close frame")
}

func TestPushFloodEndsWhenClientDrops(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?size=64")
	readMessage(t, conn, websocket.TextMessage)

	require.NoError(t, conn.NetConn().Close())
	requireAllClosed(t, srv)
}

func TestPushFloodCloseUnreadClientIsBounded(t *testing.T) {
	t.Parallel()
	srv := startServer(t, echoserver.Options{})
	// One message larger than the socket buffers of both ends together: the
	// server's write of it blocks until we read, which we never do again.
	const size = 64 << 20
	c, br := rawUpgrade(t, srv, fmt.Sprintf("/push?count=1&size=%d&binary=true", size))
	head := make([]byte, 10)
	_, err := io.ReadFull(br, head)
	require.NoError(t, err)
	require.Equal(t, []byte{0x82, 127}, head[:2])
	require.Equal(t, uint64(size), binary.BigEndian.Uint64(head[2:]))

	// A masked close frame, 1000, with a zero mask key.
	start := time.Now()
	_, err = c.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8})
	require.NoError(t, err)
	// The close reply cannot go out; the server gives up after about 2s.
	requireAllClosed(t, srv)
	assert.Greater(t, time.Since(start), time.Second)
}

func TestServerCloseEndsFlood(t *testing.T) {
	t.Run("reading client", func(t *testing.T) {
		srv := startServer(t, echoserver.Options{})
		conn := dial(t, srv, "/push?size=64")
		readMessage(t, conn, websocket.TextMessage)

		require.NoError(t, srv.Close())
		require.Error(t, readUntilError(t, conn, 100_000_000))
		assert.Equal(t, int64(0), srv.Stats().OpenConnections)
	})
	t.Run("client not reading", func(t *testing.T) {
		srv := startServer(t, echoserver.Options{})
		conn := dial(t, srv, "/push?size=64")
		readMessage(t, conn, websocket.TextMessage)

		// The writer is, or soon will be, blocked on a full socket.
		closed := make(chan error, 1)
		go func() { closed <- srv.Close() }()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(timeout):
			t.Fatal("Close hangs")
		}
		assert.Equal(t, int64(0), srv.Stats().OpenConnections)
	})
}

func TestPushFloodOverTLS(t *testing.T) {
	srv := startServer(t, echoserver.Options{TLS: &echoserver.TLSOptions{}})
	conn, _, err := dialWith(t, tlsDialer(t, srv, false), srv, "/push?count=20000&size=100&binary=true", nil)
	require.NoError(t, err)

	for range 20_000 {
		assert.Equal(t, pattern(100), readMessage(t, conn, websocket.BinaryMessage))
	}
	assert.Equal(t, 0, closeAndCount(t, conn, websocket.CloseNormalClosure, websocket.BinaryMessage, 100))
	assert.Equal(t, int64(20_000), srv.Stats().MessagesSent)
}

func TestPushCompressedWhenNegotiated(t *testing.T) {
	srv := startServer(t, echoserver.Options{})

	t.Run("gorilla client", func(t *testing.T) {
		conn, hs, err := dialWith(t, &websocket.Dialer{EnableCompression: true}, srv, "/push?count=100&size=1000", nil)
		require.NoError(t, err)
		assert.Contains(t, hs.header.Get("Sec-Websocket-Extensions"), "permessage-deflate")
		for range 100 {
			assert.Equal(t, pattern(1000), readMessage(t, conn, websocket.TextMessage))
		}
		assert.Equal(t, 0, closeAndCount(t, conn, websocket.CloseNormalClosure, websocket.TextMessage, 1000))
	})
	t.Run("frames", func(t *testing.T) {
		c := rawDial(t, srv)
		req := "GET /push?count=3&size=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
			"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
		_, err := io.WriteString(c, req)
		require.NoError(t, err)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Sec-Websocket-Extensions"), "permessage-deflate"))

		for range 3 {
			head, err := br.Peek(2)
			require.NoError(t, err)
			assert.NotZero(t, head[0]&0x40, "RSV1 (compressed) is set")
			f, err := readFrame(br)
			require.NoError(t, err)
			assert.Less(t, len(f.payload), 1000)
		}
	})
}
