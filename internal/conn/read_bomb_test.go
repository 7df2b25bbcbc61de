package conn_test

import (
	"compress/flate"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// bombServer serves one connection that sends a binary message of size zero
// bytes compressed with permessage-deflate, and reports on the returned
// channel the close code it then receives (-1 if the connection ended
// without a close frame).
func bombServer(t *testing.T, size int) (string, <-chan int) {
	t.Helper()
	received := make(chan int, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{EnableCompression: true}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = ws.Close() }()
		read := make(chan struct{})
		go func() { // reads while the bomb is written, so the close frame is seen either way
			defer close(read)
			_, _, err := ws.ReadMessage()
			code := -1
			if ce := (*websocket.CloseError)(nil); assert.ErrorAs(t, err, &ce) {
				code = ce.Code
			}
			received <- code
		}()
		defer func() { <-read }()
		if ws.SetCompressionLevel(flate.BestSpeed) != nil {
			return
		}
		mw, err := ws.NextWriter(websocket.BinaryMessage)
		if err != nil {
			return
		}
		zeros := make([]byte, 64<<10)
		for left := size; left > 0; left -= len(zeros) {
			if _, err := mw.Write(zeros[:min(left, len(zeros))]); err != nil {
				return
			}
		}
		_ = mw.Close()
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), received
}

// Not parallel: it counts the bytes the whole process allocates meanwhile.
func TestCompressedMessageIsLimitedAfterInflation(t *testing.T) {
	const (
		inflated = 64 << 20
		limit    = 1 << 20
	)
	url, received := bombServer(t, inflated)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, hs := dial(t, context.Background(), url, conn.Options{Compression: true, MaxMessageSize: limit})
	require.Contains(t, strings.Join(hs.Extensions, ","), "permessage-deflate")
	events := c.until(t, conn.Close)
	runtime.ReadMemStats(&after)

	require.Len(t, events, 2)
	assert.Equal(t, conn.Error, events[0].Kind)
	assert.EqualError(t, events[0].Err, "websocket: received a message larger than maxMessageSize (1048576 bytes)")
	assert.Equal(t, conn.CloseMessageTooBig, events[1].Code)
	select {
	case code := <-received:
		assert.Equal(t, conn.CloseMessageTooBig, conn.StatusCode(code), "the close code the server received")
	case <-time.After(waitBound):
		t.Fatal("the server saw no end of the connection")
	}
	// What was read of the message is bounded by the limit, not by what it
	// inflates to: well under the 64 MiB, with room for both sides' buffers.
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8*limit), "bytes allocated while reading the message")
}
