package conn_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// wireReport is what a peer saw of everything a client wrote.
type wireReport struct {
	dataFrames int    // data frames before the close frame
	closeCode  int    // the close frame's code; 0: none came
	reason     string // the close frame's reason
	after      int    // frames after the close frame
	end        error  // how the stream ended: nil when at a frame's boundary
	written    string // the peer's own failure, if any
}

// faultyPeer is a rawServer that reads every frame the client writes and,
// once trigger data frames came, writes fault. It reports what it read on
// report once the client closed the connection.
func faultyPeer(t *testing.T, trigger int, fault []byte) (url string, report <-chan wireReport) {
	t.Helper()
	out := make(chan wireReport, 1)
	url = rawServer(t, func(c net.Conn, br *bufio.Reader, _ <-chan struct{}) {
		var r wireReport
		defer func() { out <- r }()
		for {
			f, err := readRawFrame(br)
			switch {
			case errors.Is(err, io.EOF):
				return // at a frame's boundary
			case err != nil:
				r.end = err
				return
			case r.closeCode != 0:
				r.after++
			case f.opcode == 0x8:
				r.closeCode = -1
				if len(f.payload) >= 2 {
					r.closeCode = int(binary.BigEndian.Uint16(f.payload))
					r.reason = string(f.payload[2:])
				}
			case f.opcode <= 0x2:
				r.dataFrames++
				if r.dataFrames == trigger {
					if _, err := c.Write(fault); err != nil {
						r.written = err.Error()
					}
				}
			}
		}
	})
	return url, out
}

// The faults of a peer that make the connection fail, with the close code
// the client answers each with.
var peerFaults = []struct {
	name  string
	frame []byte
	code  conn.StatusCode
}{
	{"a frame over maxMessageSize", []byte{0x82, 126, 0x10, 0x00}, conn.CloseMessageTooBig},
	{"RSV2 set", []byte{0x82 | 0x20, 0}, conn.CloseProtocolError},
	{"RSV1 set without compression", []byte{0x82 | 0x40, 0}, conn.CloseProtocolError},
	{"a bad opcode", []byte{0x83, 0}, conn.CloseProtocolError},
	{"a fragmented control frame", []byte{0x09, 0}, conn.CloseProtocolError},
	{"a control frame over 125 bytes", append([]byte{0x89, 126, 0, 126}, make([]byte, 126)...), conn.CloseProtocolError},
	{"a masked frame", []byte{0x82, 0x80, 1, 2, 3, 4}, conn.CloseProtocolError},
	{"a continuation frame out of a message", []byte{0x80, 0}, conn.CloseProtocolError},
	{"a bad close code", []byte{0x88, 2, 0x03, 0xe7}, conn.CloseProtocolError},
	{"a close reason that is not UTF-8", []byte{0x88, 4, 0x03, 0xe8, 0xff, 0xfe}, conn.CloseProtocolError},
	{"a text message that is not UTF-8", []byte{0x81, 2, 0xff, 0xfe}, conn.CloseInvalidPayload},
}

// floodRuns is how many connections each fault is tried on: gorilla's own
// close frames went out between the writer's frames in about half of the
// runs.
const floodRuns = 20

// Whichever fault of the peer ends the connection, while the client floods
// small messages, the client writes one close frame with the fault's code,
// and no frame after it, and every frame before it whole.
func TestNoFrameFollowsTheCloseFrameOfAPeersFault(t *testing.T) {
	t.Parallel()
	for _, fault := range peerFaults {
		t.Run(fault.name, func(t *testing.T) {
			t.Parallel()
			for run := range floodRuns {
				r := floodUntilFault(t, fault.frame)
				require.NoError(t, r.end, "run %d: the stream did not end at a frame's boundary", run)
				require.Empty(t, r.written, "run %d: the peer could not write its fault", run)
				require.Equal(t, int(fault.code), r.closeCode, "run %d: the close frame's code", run)
				if fault.code == conn.CloseProtocolError {
					require.NotEmpty(t, r.reason, "run %d: the close frame says what the fault was", run)
				}
				require.Zero(t, r.after, "run %d: frames after the close frame", run)
			}
		})
	}
}

// floodUntilFault sends 64-byte messages to a faultyPeer that writes fault
// after 50 of them, until the connection no longer takes messages, and
// returns what the peer saw.
func floodUntilFault(t *testing.T, fault []byte) wireReport {
	t.Helper()
	url, report := faultyPeer(t, 50, fault)
	c := dialTarget(t, context.Background(), conn.Target{URL: url}, conn.Options{MaxMessageSize: 1024})
	message := make([]byte, 64)
	deadline := time.Now().Add(waitBound)
	for time.Now().Before(deadline) {
		err := c.Send(true, message)
		if errors.Is(err, conn.ErrClosed) || errors.Is(err, conn.ErrClosing) {
			break
		}
		if err != nil && !errors.Is(err, conn.ErrWriteQueueFull) {
			require.NoError(t, err)
		}
	}
	closed := last(c.until(t, conn.Close))
	assert.False(t, closed.Clean, "a fault ends the connection uncleanly")
	select {
	case r := <-report:
		return r
	case <-time.After(waitBound):
		t.Fatalf("the peer did not see the connection end within %s", waitBound)
		return wireReport{}
	}
}

func (r wireReport) String() string {
	return fmt.Sprintf("%d data frames, close %d, %d frames after it, end %v", r.dataFrames, r.closeCode, r.after, r.end)
}
