package conn

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gorilla/websocket"
)

// outbound is a data message or a control frame waiting for the writer.
type outbound struct {
	kind int // websocket.TextMessage, BinaryMessage, PingMessage or CloseMessage
	// framed tells that data holds a data message's frames (see
	// encodeMessage); a data message of a compressed connection is
	// compressed and framed by the writer.
	framed bool
	// size is the size of a data message's payload, before compression.
	size int
	// data is the payload, a copy of the caller's, or, when framed, the
	// frames of the message.
	data []byte
	// pooled is the pooled buffer that a data message's copy is in, given
	// back once the message is written; nil for other frames and small
	// messages.
	pooled *[]byte
}

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
// already its frames, unless the writer compresses it.
func (c *Conn) dataMessage(binary bool, data []byte) outbound {
	kind := websocket.TextMessage
	if binary {
		kind = websocket.BinaryMessage
	}
	if c.compressed {
		buf, pooled := outboundBuffer(len(data))
		copy(buf, data)
		return outbound{kind: kind, size: len(data), data: buf, pooled: pooled}
	}
	buf, pooled := outboundBuffer(framedSize(len(data)))
	encodeMessage(kind, false, buf, data)
	return outbound{kind: kind, framed: true, size: len(data), data: buf, pooled: pooled}
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
	c.buffered += int64(m.size)
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
