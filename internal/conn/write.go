package conn

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// outbound is one frame waiting for the writer.
type outbound struct {
	kind int // websocket.TextMessage, BinaryMessage, PingMessage or CloseMessage
	// header is, for a data message that this package writes itself (see
	// frame.go), the size of its frame's header; 0 when gorilla writes it.
	header int
	// data is the payload, a copy of the caller's, or, when header is above
	// 0, the whole frame: the header, then the masked payload.
	data []byte
	// pooled is the pooled buffer that a data message's copy is in, given
	// back once the message is written; nil for other frames and small
	// messages.
	pooled *[]byte
}

// size returns the size of the payload of m.
func (m *outbound) size() int { return len(m.data) - m.header }

// Buffered returns the bytes that Send has queued and that are not written yet.
func (c *Conn) Buffered() int64 {
	c.smu.Lock()
	defer c.smu.Unlock()
	return c.buffered
}

// Send queues a copy of a data message; binary selects a binary message
// over text. When the message would take the write queue above
// Options.WriteQueueBytes, Send queues nothing and returns an error wrapping
// ErrWriteQueueFull. Once the connection no longer takes messages, the
// error says why (see Conn).
func (c *Conn) Send(binary bool, data []byte) error {
	m := c.dataMessage(binary, data)
	c.smu.Lock()
	defer c.smu.Unlock()
	if err := c.writableLocked(); err != nil {
		releaseCopy(m.pooled)
		return err
	}
	if !c.fitsLocked(len(data)) {
		releaseCopy(m.pooled)
		return fmt.Errorf("%w: %d bytes are waiting and the limit is %d", ErrWriteQueueFull,
			c.buffered, c.opts.WriteQueueBytes)
	}
	if err := c.trackLocked(binary, data); err != nil {
		releaseCopy(m.pooled)
		return err
	}
	c.sendLocked(m)
	return nil
}

// SendWait is Send, except that while the write queue is full it waits for
// room, until ctx ends (it returns an error wrapping ctx's cause) or the
// connection goes away (it returns an error wrapping ErrClosed). It queues
// nothing when it returns an error.
func (c *Conn) SendWait(ctx context.Context, binary bool, data []byte) error {
	m := c.dataMessage(binary, data)
	for {
		c.smu.Lock()
		if err := c.writableLocked(); err != nil {
			c.smu.Unlock()
			releaseCopy(m.pooled)
			return err
		}
		if c.fitsLocked(len(data)) {
			err := c.trackLocked(binary, data)
			if err == nil {
				c.sendLocked(m)
			}
			c.smu.Unlock()
			if err != nil {
				releaseCopy(m.pooled)
			}
			return err
		}
		if c.wroom == nil {
			c.wroom = make(chan struct{})
		}
		room := c.wroom
		c.smu.Unlock()
		c.allowReplies()

		select {
		case <-room:
		case <-c.dying:
			// the next round reports why the connection went away
		case <-ctx.Done():
			releaseCopy(m.pooled)
			return fmt.Errorf("websocket: waiting for room in the write queue: %w", context.Cause(ctx))
		}
	}
}

// dataMessage makes the outbound of a data message, with a copy of data:
// already its frame, unless gorilla compresses it.
func (c *Conn) dataMessage(binary bool, data []byte) outbound {
	kind := websocket.TextMessage
	if binary {
		kind = websocket.BinaryMessage
	}
	if c.compressed {
		buf, pooled := outboundBuffer(len(data))
		copy(buf, data)
		return outbound{kind: kind, data: buf, pooled: pooled}
	}
	buf, pooled := outboundBuffer(frameHeadroom + len(data))
	frame := encodeFrame(kind, buf, data)
	return outbound{kind: kind, header: len(frame) - len(data), data: frame, pooled: pooled}
}

// allowReplies lets the reader take replies to what was written since the
// last Events beyond the inbound queue's limits, while the caller of
// SendWait cannot drain the queue: a peer that answers each message (an
// echo) would otherwise stop reading, and the wait would never end.
func (c *Conn) allowReplies() {
	c.mu.Lock()
	c.sendWaited = true
	c.mu.Unlock()
	c.wakeReader()
}

// fitsLocked tells whether a message of n bytes may join the write queue: a
// message larger than the limit is taken when the queue is empty.
func (c *Conn) fitsLocked(n int) bool {
	return c.buffered == 0 || c.buffered+int64(n) <= int64(c.opts.WriteQueueBytes)
}

func (c *Conn) sendLocked(m outbound) {
	c.buffered += int64(m.size())
	c.enqueueWriteLocked(m)
}

// Ping queues a ping frame whose pong, when it comes, carries the round trip
// time.
func (c *Conn) Ping() error {
	c.pmu.Lock()
	id := strconv.Itoa(c.pingCount)
	c.pingCount++
	c.pmu.Unlock()

	c.smu.Lock()
	defer c.smu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	c.enqueueWriteLocked(outbound{kind: websocket.PingMessage, data: []byte(id)})
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
			c.written(m.size())
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
		return c.writeControl(m.kind, m.data, time.Now().Add(controlWriteWait))
	case websocket.CloseMessage:
		return c.writeClose(m.data)
	default:
		return c.writeData(m)
	}
}
