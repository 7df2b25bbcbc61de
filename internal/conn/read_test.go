package conn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pieceReader returns src in reads of at most piece bytes, then io.EOF.
type pieceReader struct {
	src   []byte
	piece int
}

func (p *pieceReader) Read(b []byte) (int, error) {
	if len(p.src) == 0 {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), p.piece)], p.src)
	p.src = p.src[n:]
	return n, nil
}

func TestReadMessageIsExactAndLimited(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, readChunkSize - 1, readChunkSize, readChunkSize + 1, 20*readChunkSize + 7} {
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(i % 251)
		}
		for _, piece := range []int{1000, 1 << 20} {
			t.Run(fmt.Sprintf("%d bytes in reads of %d", size, piece), func(t *testing.T) {
				t.Parallel()
				got, err := readMessage(&pieceReader{src: msg, piece: piece}, int64(size), new(int))
				require.NoError(t, err)
				assert.Equal(t, msg, got)
				assert.Equal(t, len(got), cap(got), "allocated at its exact size")

				if size == 0 {
					return
				}
				// One byte over the limit: read no further than limit+1.
				src := &pieceReader{src: append(msg, 0, 0), piece: piece}
				_, err = readMessage(src, int64(size-1), new(int))
				assert.EqualError(t, err, fmt.Sprintf(
					"websocket: received a message larger than maxMessageSize (%d bytes)", size-1))
				assert.Len(t, src.src, 2, "bytes left unread")
			})
		}
	}
}

// A connection's messages are read whole and exact whatever the size hint
// the last long message left: shorter, equal or longer, over the limit.
func TestReadMessageWithASizeHint(t *testing.T) {
	t.Parallel()
	const limit = 8 * readChunkSize
	sizes := []int{
		3 * readChunkSize, 3 * readChunkSize, // the hint is right
		3*readChunkSize - 1000, // a little shorter: kept in the hinted slice
		readChunkSize + 1,      // much shorter: copied out
		10,                     // one chunk: the hint stays
		2 * readChunkSize,      // the hint is now 2 chunks ...
		5*readChunkSize + 3,    // ... and the message longer
		limit,
	}
	sizeHint := 0
	wantHint := 0
	for i, size := range sizes {
		msg := make([]byte, size)
		for j := range msg {
			msg[j] = byte((i + j) % 251)
		}
		got, err := readMessage(&pieceReader{src: msg, piece: 5000}, limit, &sizeHint)
		require.NoError(t, err, "message %d", i)
		require.Equal(t, msg, got, "message %d of %d bytes", i, size)
		assert.LessOrEqual(t, cap(got)-len(got), cap(got)/8, "spare capacity of message %d", i)
		if size > readChunkSize {
			wantHint = size
		}
		assert.Equal(t, wantHint, sizeHint, "hint after message %d", i)
	}

	src := &pieceReader{src: make([]byte, limit+10), piece: 5000}
	_, err := readMessage(src, limit, &sizeHint)
	require.ErrorAs(t, err, new(*messageTooBigError))
	assert.Len(t, src.src, 9, "bytes left unread")
}

func TestReadMessageWrapsReadErrors(t *testing.T) {
	t.Parallel()
	_, err := readMessage(iotest.TimeoutReader(strings.NewReader("abc")), 10, new(int))
	require.ErrorIs(t, err, iotest.ErrTimeout)
	assert.ErrorContains(t, err, "reading websocket message")
}

// BenchmarkReadMessage measures readMessage on a gorilla connection over
// loopback TCP: a server goroutine writes b.N binary messages of the
// sub-benchmark's size, the benchmark reads each one whole.
func BenchmarkReadMessage(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"64B", 64}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			ws := benchSource(b, size.bytes, b.N)
			b.SetBytes(int64(size.bytes))
			b.ReportAllocs()
			var sizeHint int
			b.ResetTimer()
			for range b.N {
				_, r, err := ws.NextReader()
				require.NoError(b, err)
				data, err := readMessage(r, DefaultMaxMessageSize, &sizeHint)
				if err != nil || len(data) != size.bytes {
					b.Fatalf("read %d bytes, want %d: %v", len(data), size.bytes, err)
				}
			}
		})
	}
}

// benchSource dials a loopback server that writes count binary messages of
// size bytes, and returns the client side. The server writes the frames
// itself, many to a write, so that the benchmark measures the reader.
func benchSource(b *testing.B, size, count int) *websocket.Conn {
	b.Helper()
	frame := binaryFrame(size)
	perWrite := max(1, (256<<10)/len(frame))
	batch := bytes.Repeat(frame, perWrite)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = ws.Close() }()
		for left := count; left > 0; left -= perWrite {
			if _, err := ws.NetConn().Write(batch[:min(left, perWrite)*len(frame)]); err != nil {
				return
			}
		}
		_, _, _ = ws.ReadMessage() // until the client goes
	}))
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(b, err)
	_ = resp.Body.Close()
	b.Cleanup(func() {
		_ = ws.Close()
		<-done
		srv.Close()
	})
	return ws
}

// binaryFrame is one unmasked, final binary frame of size zero bytes, as a
// server sends it (RFC 6455 section 5.2).
func binaryFrame(size int) []byte {
	frame := []byte{0x82}
	switch {
	case size < 126:
		frame = append(frame, byte(size))
	case size <= 0xffff:
		frame = binary.BigEndian.AppendUint16(append(frame, 126), uint16(size))
	default:
		frame = binary.BigEndian.AppendUint64(append(frame, 127), uint64(size))
	}
	return append(frame, make([]byte, size)...)
}
