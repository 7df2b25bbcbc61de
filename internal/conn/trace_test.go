package conn_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// tracedFrame is a frame a recordingTracer was told of.
type tracedFrame struct {
	dir    conn.Direction
	opcode int
	length int
	prefix string
}

// recordingTracer records the frames it is told of.
type recordingTracer struct {
	mu     sync.Mutex
	frames []tracedFrame
}

func (r *recordingTracer) Frame(dir conn.Direction, opcode, length int, prefix []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, tracedFrame{dir, opcode, length, string(prefix)})
}

func (r *recordingTracer) recorded() []tracedFrame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tracedFrame(nil), r.frames...)
}

func TestTracerIsToldOfEveryFrameBothWays(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	long := strings.Repeat("0123456789", 10)
	for _, compression := range []bool{false, true} {
		tracer := &recordingTracer{}
		c, _ := dial(t, context.Background(), srv.URL()+"/echo", conn.Options{Tracer: tracer, Compression: compression})
		require.NoError(t, c.Send(false, []byte("hello")))
		c.until(t, conn.Text)
		require.NoError(t, c.Send(true, []byte(long)))
		c.until(t, conn.Binary)
		require.NoError(t, c.Ping())
		c.until(t, conn.Pong)
		c.Close(conn.CloseNormal, "bye")
		c.until(t, conn.Close)

		frames := tracer.recorded()
		for i := range frames {
			if frames[i].opcode == websocket.PingMessage || frames[i].opcode == websocket.PongMessage {
				frames[i].prefix, frames[i].length = "", 0 // the ping's payload is the connection's own
			}
		}
		closeFrame := string(websocket.FormatCloseMessage(1000, "bye"))
		assert.Equal(t, []tracedFrame{
			{conn.Sent, websocket.TextMessage, 5, "hello"},
			{conn.Received, websocket.TextMessage, 5, "hello"},
			{conn.Sent, websocket.BinaryMessage, 100, long[:conn.TracePrefix]},
			{conn.Received, websocket.BinaryMessage, 100, long[:conn.TracePrefix]},
			{conn.Sent, websocket.PingMessage, 0, ""},
			{conn.Received, websocket.PongMessage, 0, ""},
			{conn.Sent, websocket.CloseMessage, len(closeFrame), closeFrame},
			{conn.Received, websocket.CloseMessage, 2, closeFrame[:2]},
		}, frames, "compression %v", compression)
	}
}

func TestDirectionNames(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "sent", conn.Sent.String())
	assert.Equal(t, "received", conn.Received.String())
}
