package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// state is where a connection is in its life. It only moves forward, under
// Conn.smu:
//
//	open ─Close─▶ closing ─our close frame written─▶ closeSent
//	open ─the peer's close frame answered──────────▶ closeSent
//	open, closing, closeSent ─die─▶ tearingDown ─finish─▶ gone
type state uint8

const (
	// stateOpen takes messages, pings and Close.
	stateOpen state = iota
	// stateClosing: Close queued our close frame behind the messages queued
	// before it; the close timer runs while the peer reads them.
	stateClosing
	// stateCloseSent: a close frame of ours is on the wire, our own or the
	// answer to the peer's; the close timer counts from then.
	stateCloseSent
	// stateTearingDown: die stopped the writer and closed the TCP
	// connection, which ends the reader.
	stateTearingDown
	// stateGone: the reader and the writer have returned, the last events
	// are queued and Done is closed.
	stateGone
)

// ending is how a connection ends: the code, reason and cleanliness of its
// Close event, and the fault of the Error event before it, if any.
type ending struct {
	code   StatusCode
	reason string
	clean  bool
	err    error // the fault reported as an Error event; nil: none
	why    error // why the connection ended when err is nil, for Send's errors
	// final marks how the reader ended when that beats die's cause: a close
	// frame or a message over the limit.
	final bool
	// closeReason is the reason of the close frame die sends.
	closeReason string
	// peerFault: the peer broke the protocol or a limit, and die's close
	// frame may wait faultWriteWait rather than interruptWriteWait.
	peerFault bool
}

// Close starts the close handshake with code and reason, after the messages
// already queued. The connection is torn down when the peer answers, when
// Options.CloseTimeout passes after our close frame went on the wire, or,
// while the frame still waits behind queued messages, when the peer reads
// nothing of them for Options.CloseTimeout (and at least 5 seconds). Calls
// after the first, or after the peer closed, do nothing.
func (c *Conn) Close(code StatusCode, reason string) {
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.state != stateOpen {
		return
	}
	c.state = stateClosing
	c.closeCalled = true
	c.closeWire = c.wire.written()
	c.closeTimer = time.AfterFunc(c.stallWait(), c.closeTimedOut)
	c.enqueueWriteLocked(outbound{kind: websocket.CloseMessage, data: websocket.FormatCloseMessage(int(code), reason)})
}

// stallWait is how long a close waits for the peer to read any of the
// messages queued before our close frame: CloseTimeout, and at least
// minStallWait, so that a healthy peer that pauses is not taken for a
// stalled one.
func (c *Conn) stallWait() time.Duration {
	return max(c.opts.CloseTimeout, minStallWait)
}

// writeClose writes the close frame that Close queued.
func (c *Conn) writeClose(frame []byte) error {
	err := c.writeControl(websocket.CloseMessage, frame)
	if errors.Is(err, websocket.ErrCloseSent) {
		return nil // the peer closed first and we already answered it
	}
	c.closeWritten()
	return err
}

// handleClose answers the peer's close frame with the same code, and records
// it, unless we sent ours first.
func (c *Conn) handleClose(code int, reason string) error {
	c.traceClose(code, reason)
	c.smu.Lock()
	answered := c.state >= stateCloseSent
	if !answered {
		c.peerClose = &CloseError{Code: StatusCode(code), Reason: reason}
	}
	c.smu.Unlock()
	if answered {
		return nil
	}
	answer := websocket.FormatCloseMessage(code, "")
	if StatusCode(code) == CloseNoStatus {
		answer = []byte{}
	}
	err := c.writeControl(websocket.CloseMessage, answer)
	c.closeWritten()
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("answering close frame: %w", err)
	}
	return nil
}

// closeWritten moves to closeSent once a close frame of ours is written;
// the close timer counts from then.
func (c *Conn) closeWritten() {
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.state >= stateCloseSent {
		return
	}
	c.state = stateCloseSent
	c.closeSentAt = time.Now()
	if c.closeTimer != nil {
		c.closeTimer.Reset(c.opts.CloseTimeout)
	}
}

// closeTimedOut runs when the close timer fires: it tears the connection
// down when the peer neither answered our close frame within CloseTimeout
// nor, while the frame waits behind queued messages, read any of them.
func (c *Conn) closeTimedOut() {
	timeout := c.opts.CloseTimeout
	c.smu.Lock()
	var end *ending
	switch c.state {
	case stateClosing:
		if n := c.wire.written(); n != c.closeWire {
			c.closeWire = n
			c.closeTimer.Reset(c.stallWait())
			break
		}
		end = &ending{code: CloseAbnormal, err: fmt.Errorf("websocket close handshake timed out: "+
			"the peer read none of the %d bytes queued before our close frame within %s", c.buffered, c.stallWait())}
	case stateCloseSent:
		if left := timeout - time.Since(c.closeSentAt); left > 0 {
			c.closeTimer.Reset(left)
			break
		}
		end = &ending{code: CloseAbnormal, err: fmt.Errorf(
			"websocket close handshake timed out: the peer did not answer within %s", timeout)}
	case stateOpen, stateTearingDown, stateGone:
	}
	c.smu.Unlock()
	if end != nil {
		c.die(end)
	}
}

// Abort tears the connection down at once: a close frame with code is sent
// without waiting for an answer, then the TCP connection is closed.
func (c *Conn) Abort(code StatusCode) {
	c.die(&ending{code: code, why: fmt.Errorf("aborted with code %s", code)})
}

// interrupt tears the connection down because ctx, the VU's, ended.
func (c *Conn) interrupt(ctx context.Context) {
	c.die(&ending{code: CloseGoingAway, why: fmt.Errorf("the VU stopped: %w", context.Cause(ctx))})
}

// die moves to tearingDown for cause (nil: the reader ended), once: the
// writer stops, a close frame is sent where cause asks for one and none was
// sent yet, and the TCP connection is closed, which ends the reader.
func (c *Conn) die(cause *ending) {
	c.smu.Lock()
	if c.state >= stateTearingDown {
		c.smu.Unlock()
		return
	}
	sendClose := cause != nil && cause.code != CloseAbnormal && c.state < stateCloseSent
	c.state = stateTearingDown
	c.cause = cause
	if c.closeTimer != nil {
		c.closeTimer.Stop()
	}
	close(c.dying)
	c.smu.Unlock()

	if sendClose {
		wait := interruptWriteWait
		if cause.peerFault {
			wait = faultWriteWait
		}
		c.writeFinalClose(websocket.FormatCloseMessage(int(cause.code), cause.closeReason), wait)
	}
	_ = c.ws.Close()
}

// readEnded records why the reader returned. When the peer broke the
// protocol or sent a message over the read limit, it sends the close frame
// that says so (1002 or 1009), as gorilla would have.
func (c *Conn) readEnded(err error) {
	end := c.readEnding(err)
	end.peerFault = end.code == CloseProtocolError || end.code == CloseMessageTooBig
	c.smu.Lock()
	c.readEnd = end
	c.smu.Unlock()
	if end.peerFault {
		c.die(end)
	}
}

// readEnding tells how a connection ends whose reader failed with err.
func (c *Conn) readEnding(err error) *ending {
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce) && StatusCode(ce.Code) == CloseAbnormal:
		// gorilla reports a TCP connection that ended without a close frame
		// as a 1006 close error.
		return &ending{code: CloseAbnormal, final: true, err: fmt.Errorf(
			"websocket: the connection was dropped without a close frame: %w", io.ErrUnexpectedEOF)}
	case errors.As(err, &ce):
		return &ending{code: StatusCode(ce.Code), reason: ce.Text, clean: true, final: true}
	case errors.Is(err, websocket.ErrReadLimit):
		return &ending{code: CloseMessageTooBig, final: true, err: fmt.Errorf(
			"websocket: received a message larger than maxMessageSize (%d bytes)", c.opts.MaxMessageSize)}
	case isNetworkError(err):
		return &ending{code: CloseAbnormal, err: err}
	default:
		return &ending{code: CloseProtocolError, err: err, closeReason: protocolErrorReason(err)}
	}
}

// watch interrupts the connection when ctx ends. The watch counts in
// writers until it has run or finish has unregistered it.
func (c *Conn) watch(ctx context.Context) {
	c.writers.Add(1)
	c.stop = context.AfterFunc(ctx, func() {
		defer c.writers.Done()
		c.interrupt(ctx)
	})
}

// finish runs when the reader returns: it tears the connection down, waits
// for the writer and for a context watch that fired, moves to gone and
// queues the last events.
func (c *Conn) finish() {
	c.die(nil)
	if c.stop != nil && c.stop() {
		c.writers.Done() // the watch will never run
	}
	c.writers.Wait()
	c.trackClosed()

	c.smu.Lock()
	c.state = stateGone
	end := c.endingLocked()
	c.smu.Unlock()

	c.mu.Lock()
	c.queue = append(c.queue, end.events(time.Now())...)
	c.notified = true
	c.mu.Unlock()
	close(c.done)
	// Always: an owner that leaves events queued while it works through
	// those it took (a WebSocketStream whose script reads slowly) still
	// learns that the connection is gone.
	c.notify()
}

// endingLocked tells how the connection ends: a close frame or an oversized
// message that the reader saw, else the cause die was given, else how the
// reader ended.
func (c *Conn) endingLocked() ending {
	switch {
	case c.readEnd != nil && c.readEnd.final:
		return *c.readEnd
	case c.cause != nil:
		return *c.cause
	case c.readEnd != nil:
		return *c.readEnd
	}
	return ending{code: CloseAbnormal}
}

// events returns the Error event, if any, and the Close event of e.
func (e ending) events(now time.Time) []Event {
	closed := Event{Kind: Close, Time: now, Code: e.code, Reason: e.reason, Clean: e.clean}
	if e.err == nil {
		return []Event{closed}
	}
	return []Event{{Kind: Error, Time: now, Err: e.err}, closed}
}

// writableLocked tells why no more messages may be queued, if so: Close was
// called, the peer closed the connection (with its code), or why the
// connection went away.
func (c *Conn) writableLocked() error {
	switch {
	case c.state == stateOpen:
		return nil
	case c.closeCalled && c.state < stateTearingDown:
		return fmt.Errorf("%w: Close was called", ErrClosing)
	case !c.closeCalled && c.peerClose != nil:
		return fmt.Errorf("%w: the peer closed it: %w", ErrClosed, c.peerClose)
	case c.cause != nil && c.cause.why != nil:
		return fmt.Errorf("%w: %w", ErrClosed, c.cause.why)
	}
	end := c.endingLocked()
	switch {
	case end.err != nil:
		return fmt.Errorf("%w: %w", ErrClosed, end.err)
	case c.closeCalled:
		return fmt.Errorf("%w: Close was called", ErrClosed)
	}
	return ErrClosed
}

// protocolErrorReason returns the reason of the close frame that answers the
// protocol error err: gorilla's message, cut to fit a close frame.
func protocolErrorReason(err error) string {
	reason := err.Error()
	if i := strings.LastIndex(reason, "websocket: "); i >= 0 {
		reason = reason[i+len("websocket: "):]
	}
	if len(reason) > MaxCloseReason {
		reason = reason[:MaxCloseReason]
	}
	return reason
}

func isNetworkError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne)
}
