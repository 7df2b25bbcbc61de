package echoserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// floodBatchSize is about how many bytes one write of a raw flood carries:
// as many whole frames as fit, at least one.
const floodBatchSize = 64 << 10

// Frame header bits of RFC 6455 section 5.2.
const (
	finBit     = 0x80
	opcodeMask = 0x0f
)

// errFloodStopped is what gorilla's writes get once the flood's writer has
// returned.
var errFloodStopped = errors.New("flood writer stopped")

// floodConn is the connection gorilla works on for a raw flood of /push.
// Until arm it passes everything through (gorilla writes the handshake
// answer). Once armed, the flood's writer goroutine owns the socket's write
// side: every write gorilla makes afterwards (a pong, the close reply, a
// protocol-error close; gorilla writes each control frame whole in one call)
// is handed to the writer, which sends it between two batches. So no two
// goroutines ever write to the socket, and a control frame waits at most for
// the batch being written.
type floodConn struct {
	net.Conn

	armed    atomic.Bool
	deadline atomic.Int64 // of gorilla's next write, Unix ns; 0 for none
	controls chan control
	stopped  chan struct{} // closed when the writer returns
	err      error         // why the writer returned; read after stopped
}

// control is one frame gorilla hands to the flood's writer.
type control struct {
	frame    []byte
	deadline time.Time    // for writing it; zero for none
	done     chan<- error // the write's result
}

func newFloodConn() *floodConn {
	return &floodConn{controls: make(chan control), stopped: make(chan struct{})}
}

// wrap takes the hijacked connection; gorilla gets the floodConn in its place.
func (c *floodConn) wrap(conn net.Conn) net.Conn {
	c.Conn = conn
	return c
}

// arm hands gorilla's writes to the writer from now on; run must follow.
func (c *floodConn) arm() {
	c.armed.Store(true)
}

// SetWriteDeadline sets the deadline of the socket until arm; afterwards it
// only records the deadline of gorilla's next write.
func (c *floodConn) SetWriteDeadline(t time.Time) error {
	if !c.armed.Load() {
		return c.Conn.SetWriteDeadline(t)
	}
	var ns int64
	if !t.IsZero() {
		ns = t.UnixNano()
	}
	c.deadline.Store(ns)
	return nil
}

// Write writes p until arm; afterwards it has the writer send p and waits for
// the result.
func (c *floodConn) Write(p []byte) (int, error) {
	if !c.armed.Load() {
		return c.Conn.Write(p)
	}
	if err := c.handOff(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// handOff passes frame to the writer and waits until it is written. A frame
// the writer does not take by the write deadline (it is stuck writing a batch
// to a client that does not read) is dropped with a timeout, as gorilla
// drops a control frame it cannot send in time; the read loop then goes on,
// or, after a close, ends the session, whose end closes the socket under the
// stuck writer.
func (c *floodConn) handOff(frame []byte) error {
	var deadline time.Time
	if ns := c.deadline.Load(); ns != 0 {
		deadline = time.Unix(0, ns)
	}
	var expired <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	done := make(chan error, 1)
	select {
	case c.controls <- control{frame: frame, deadline: deadline, done: done}:
		return <-done
	case <-c.stopped:
		return c.stoppedErr()
	case <-expired:
		return os.ErrDeadlineExceeded
	}
}

// stoppedErr is the error of a write after the writer returned.
func (c *floodConn) stoppedErr() error {
	if c.err == nil {
		return errFloodStopped
	}
	return fmt.Errorf("%w: %w", errFloodStopped, c.err)
}

// isCloseFrame reports whether a frame gorilla writes is a close frame.
func isCloseFrame(frame []byte) bool {
	return len(frame) > 0 && frame[0]&opcodeMask == websocket.CloseMessage
}

// run is the flood's writer: it sends the batches and, between them, the
// frames gorilla hands over. After the last batch it only sends those. It
// returns once it sent a close frame, when a write fails or when ctx ends.
func (c *floodConn) run(ctx context.Context, b *floodBatches) {
	c.err = c.flood(ctx, b)
	close(c.stopped)
}

func (c *floodConn) flood(ctx context.Context, b *floodBatches) error {
	for {
		ctl, ok, err := c.nextControl(ctx, b.finished())
		switch {
		case err != nil:
			return err
		case ok:
			if err := c.sendControl(ctl); err != nil || isCloseFrame(ctl.frame) {
				return err
			}
		default:
			if err := b.send(c.Conn); err != nil {
				return err
			}
		}
	}
}

// nextControl returns a frame gorilla handed over, if any; when wait, it
// waits for one. It fails when ctx ends.
func (c *floodConn) nextControl(ctx context.Context, wait bool) (control, bool, error) {
	if wait {
		select {
		case ctl := <-c.controls:
			return ctl, true, nil
		case <-ctx.Done():
			return control{}, false, fmt.Errorf("flood: %w", ctx.Err())
		}
	}
	select {
	case ctl := <-c.controls:
		return ctl, true, nil
	case <-ctx.Done():
		return control{}, false, fmt.Errorf("flood: %w", ctx.Err())
	default:
		return control{}, false, nil
	}
}

// sendControl writes one frame gorilla handed over within its deadline and
// reports the result to gorilla too.
func (c *floodConn) sendControl(ctl control) error {
	err := c.Conn.SetWriteDeadline(ctl.deadline)
	if err == nil {
		_, err = c.Conn.Write(ctl.frame)
	}
	if err == nil && !isCloseFrame(ctl.frame) {
		err = c.Conn.SetWriteDeadline(time.Time{})
	}
	ctl.done <- err
	if err != nil {
		return fmt.Errorf("flood: write control frame: %w", err)
	}
	return nil
}

// floodBatches cuts a flood of one repeated frame into writes of whole
// frames and counts what it sends.
type floodBatches struct {
	batch     []byte // frames copies of the frame
	frameLen  int
	frames    int
	unlimited bool
	left      int   // messages still to send, unless unlimited
	size      int64 // payload bytes per message
	stats     *counters
}

// newFloodBatches prepares count (0: unlimited) messages of the given type
// carrying pattern(size).
func newFloodBatches(typ, count, size int, stats *counters) *floodBatches {
	frame := appendFrameHeader(make([]byte, 0, size+10), finBit|byte(typ), size) //nolint:gosec // typ is an opcode, 1 or 2
	frame = append(frame, pattern(size)...)
	frames := max(1, floodBatchSize/len(frame))
	batch := frame
	if frames > 1 {
		batch = bytes.Repeat(frame, frames)
	}
	return &floodBatches{
		batch:     batch,
		frameLen:  len(frame),
		frames:    frames,
		unlimited: count == 0,
		left:      count,
		size:      int64(size),
		stats:     stats,
	}
}

// finished reports whether every message was sent.
func (b *floodBatches) finished() bool {
	return !b.unlimited && b.left == 0
}

// send writes the next batch with one write; the last one of a limited flood
// may hold fewer frames.
func (b *floodBatches) send(w io.Writer) error {
	n := b.frames
	if !b.unlimited {
		n = min(n, b.left)
		b.left -= n
	}
	b.stats.sentMany(int64(n), int64(n)*b.size)
	if _, err := w.Write(b.batch[:n*b.frameLen]); err != nil {
		return fmt.Errorf("flood: write batch: %w", err)
	}
	return nil
}

// offersDeflate reports whether the client offers permessage-deflate, which
// the upgrader then accepts. Such a flood goes through gorilla to be
// compressed; should this check ever disagree with gorilla's, a raw flood
// would still be valid, as permessage-deflate allows uncompressed messages.
func offersDeflate(r *http.Request) bool {
	for _, v := range r.Header.Values("Sec-WebSocket-Extensions") {
		for ext := range strings.SplitSeq(v, ",") {
			name, _, _ := strings.Cut(ext, ";")
			if strings.TrimSpace(name) == "permessage-deflate" {
				return true
			}
		}
	}
	return false
}
