package conn

import (
	"fmt"
	"net"
	"time"

	"github.com/gorilla/websocket"
)

// The wire has one owner: every frame of a connection, data or control, is
// written by writeLocked, holding the connection's wire lock, to the
// connection (TLS included) under the gorillaConn that gorilla reads from.
// Once the handshake is over gorilla can no longer write (see gorillaConn),
// so the close frames it would send on a protocol error or a message over
// the read limit are sent by die instead. The exception is wss:// through a
// proxy: gorilla then sets TLS up itself, over gorillaConn, and frames are
// written to its TLS connection, which gorilla's close frame on a protocol
// error can still reach.
//
// The writer goroutine writes what Send, SendWait, Ping and Close queue, in
// order. It holds the wire lock for one frame at a time, and a data message
// is cut into frames of at most maxFragment bytes: a control frame that does
// not wait in the queue (a pong, the answer to the peer's close frame, the
// close frame die sends) waits for the frame being written, if any, and goes
// out before the next one (RFC 6455, section 5.4 allows control frames
// between the frames of a message). The lock is a channel of capacity one,
// so releasing it hands it to the goroutine that waited longest.
//
// Data frames are written with no deadline, as gorilla writes them; a
// control frame is written by controlWriteWait.

// errTornDown is returned by a write that was given up because the
// connection is being torn down.
var errTornDown = fmt.Errorf("websocket: the connection is being torn down: %w", net.ErrClosed)

// lockWire takes the wire lock, or returns false once the connection is
// being torn down.
func (c *Conn) lockWire() bool {
	select {
	case c.wlock <- struct{}{}:
		return true
	case <-c.dying:
		return false
	}
}

// lockWireWithin takes the wire lock, or returns false when wait passed
// first.
func (c *Conn) lockWireWithin(wait time.Duration) bool {
	select {
	case c.wlock <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case c.wlock <- struct{}{}:
		return true
	case <-timer.C:
		return false
	}
}

func (c *Conn) unlockWire() { <-c.wlock }

// writeLocked writes frame, a frame of kind (a websocket message type),
// with the write deadline deadline (zero: none), holding the wire lock.
func (c *Conn) writeLocked(kind int, frame []byte, deadline time.Time) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	err := c.out.SetWriteDeadline(deadline)
	if err != nil {
		err = fmt.Errorf("setting the write deadline: %w", err)
	} else {
		_, err = c.out.Write(frame)
	}
	c.wrote(kind, err)
	return err
}

// wrote records, under the wire lock, how a write of a frame of kind went:
// after a failed write, a torn frame may be on the wire, and after a close
// frame no frame may follow, so every later write fails.
func (c *Conn) wrote(kind int, err error) {
	if c.writeErr != nil {
		return
	}
	switch {
	case err != nil:
		c.writeErr = err
	case kind == websocket.CloseMessage:
		c.writeErr = websocket.ErrCloseSent
	}
}

// writeControlLocked writes the control frame of kind with payload, at most
// maxControlPayload bytes, by controlWriteWait from now, holding the wire lock.
func (c *Conn) writeControlLocked(kind int, payload []byte, wait time.Duration) error {
	var buf [frameHeadroom + maxControlPayload]byte
	frame := encodeFrame(finBit|byte(kind), buf[:frameHeadroom+len(payload)], payload) //nolint:gosec // kind is a control opcode, 8 to 10
	if c.writeErr == nil {
		c.traceWrite(kind, payload)
	}
	return c.writeLocked(kind, frame, time.Now().Add(wait))
}

// writeControl writes the control frame of kind with payload, after the
// frame being written, if any.
func (c *Conn) writeControl(kind int, payload []byte) error {
	if !c.lockWire() {
		return errTornDown
	}
	defer c.unlockWire()
	return c.writeControlLocked(kind, payload, controlWriteWait)
}

// writeFinalClose writes the close frame die sends, unless the frame being
// written, or the close frame itself, takes longer than wait.
func (c *Conn) writeFinalClose(payload []byte, wait time.Duration) {
	if !c.lockWireWithin(wait) {
		return
	}
	defer c.unlockWire()
	_ = c.writeControlLocked(websocket.CloseMessage, payload, wait)
}

// writeData writes the data message m, one frame at a time; a message of a
// compressed connection is compressed first.
func (c *Conn) writeData(m outbound) error {
	frames := m.data
	if !m.framed {
		var pooled *[]byte
		frames, pooled = deflateMessage(m.kind, m.data)
		defer releaseCopy(pooled)
	}
	for first := true; len(frames) > 0; first = false {
		var frame []byte
		frame, frames = nextFrame(frames)
		if !c.lockWire() {
			return errTornDown
		}
		if first && c.writeErr == nil {
			c.traceData(&m)
		}
		if len(frames) == 0 {
			c.trackWriting()
		}
		err := c.writeLocked(m.kind, frame, time.Time{})
		c.unlockWire()
		if err != nil {
			return err
		}
	}
	return nil
}

// writerLinger is how long a writer with nothing to write waits for the next
// frame before it returns. A connection that sends now and then keeps no
// goroutine, while one that sends in a steady stream (an echo, say) keeps
// its writer: a new goroutine per message would regrow its stack each time,
// which costs more than writing a small frame.
const writerLinger = time.Second

// enqueueWriteLocked queues m for the writer, waking the writer or starting
// one: the caller never blocks on the network.
func (c *Conn) enqueueWriteLocked(m outbound) {
	c.wqueue = append(c.wqueue, m)
	if c.writing {
		if c.writerIdle {
			c.writerIdle = false
			c.wwake <- struct{}{} // never blocks: the writer took the last one before it went idle
		}
		return
	}
	c.writing = true
	if c.wwake == nil {
		c.wwake = make(chan struct{}, 1)
	}
	c.writers.Add(1)
	go c.writeLoop()
}

// writeLoop writes queued frames, and returns once it had nothing to write
// for writerLinger or the connection is torn down.
func (c *Conn) writeLoop() {
	defer c.writers.Done()
	linger := time.NewTimer(writerLinger)
	defer linger.Stop()
	for {
		m, ok := c.nextOutbound(linger)
		if !ok {
			return
		}

		err := c.write(m)

		if m.kind == websocket.TextMessage || m.kind == websocket.BinaryMessage {
			c.written(m.size)
			releaseCopy(m.pooled)
		}
		if err != nil {
			c.die(&ending{code: CloseAbnormal, err: fmt.Errorf("websocket write failed: %w", err)})
			return
		}
	}
}

// nextOutbound takes the next frame off the write queue, waiting for one up
// to writerLinger. It returns false, and the caller must return, once the
// wait ran out or the connection is torn down.
func (c *Conn) nextOutbound(linger *time.Timer) (outbound, bool) {
	c.smu.Lock()
	defer c.smu.Unlock()
	for len(c.wqueue) == 0 && c.state < stateTearingDown {
		c.writerIdle = true
		c.smu.Unlock()
		linger.Reset(writerLinger)
		woken := false
		select {
		case <-c.wwake:
			woken = true
		case <-linger.C:
		case <-c.dying:
		}
		linger.Stop()
		c.smu.Lock()
		if !woken && len(c.wqueue) == 0 {
			break
		}
	}
	if len(c.wqueue) == 0 || c.state >= stateTearingDown {
		c.wqueue = nil
		c.writing = false
		c.writerIdle = false
		select {
		case <-c.wwake: // a wake-up that came after the wait ended
		default:
		}
		return outbound{}, false
	}
	c.writerIdle = false
	m := c.wqueue[0]
	c.wqueue[0] = outbound{}
	c.wqueue = c.wqueue[1:]
	return m, true
}

// written accounts for a data message of n bytes that the writer wrote.
func (c *Conn) written(n int) {
	c.smu.Lock()
	c.buffered -= int64(n)
	if c.wroom != nil {
		close(c.wroom) // wakes SendWait
		c.wroom = nil
	}
	c.smu.Unlock()

	c.mu.Lock()
	c.sentBytes += n
	c.sentMessages++
	wake := c.sendWaited
	c.mu.Unlock()
	if wake {
		c.wakeReader()
	}
}

// write writes the queued frame m.
func (c *Conn) write(m outbound) error {
	switch m.kind {
	case websocket.PingMessage:
		c.pmu.Lock()
		switch {
		case c.pings == nil: // made with the first ping: most connections send none
			c.pings = make(map[string]time.Time)
		case len(c.pings) >= maxPendingPings:
			clear(c.pings) // a peer that never answers must not grow this without bound
		}
		c.pings[string(m.data)] = time.Now()
		c.pmu.Unlock()
		return c.writeControl(m.kind, m.data)
	case websocket.CloseMessage:
		return c.writeClose(m.data)
	default:
		return c.writeData(m)
	}
}
