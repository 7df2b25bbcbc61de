package conn

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// A connection's TCP connection (or TLS over it) is wrapped twice: the
// writer writes to its countingConn, and gorilla, which reads, holds a
// gorillaConn around that.

// countingConn counts the bytes written to a connection: a close handshake
// waits on while the peer reads what was queued before it.
//
// It also drops a write deadline equal to the one already set. Data frames
// are written with none, control frames with one, and each call into the
// runtime's poller costs more than writing a small frame.
type countingConn struct {
	net.Conn
	n atomic.Int64

	dmu           sync.Mutex
	writeDeadline time.Time // the deadline last set on Conn
}

// SetWriteDeadline sets the write deadline of the connection unless it is
// already set to t.
func (c *countingConn) SetWriteDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if t.Equal(c.writeDeadline) {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	c.writeDeadline = t
	return nil
}

// SetDeadline sets both deadlines of the connection.
func (c *countingConn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if err := c.Conn.SetDeadline(t); err != nil {
		return err
	}
	c.writeDeadline = t
	return nil
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// written returns the bytes written so far.
func (c *countingConn) written() int64 { return c.n.Load() }

// errGorillaWrite is what gorilla gets when it tries to write once the
// handshake is over: the close frame of a protocol error, say, which die
// sends through the writer instead.
var errGorillaWrite = errors.New("websocket: only the connection's writer writes once the handshake is over")

// gorillaConn is the connection gorilla holds. It reads through burst
// buffers (see burst.go). During the handshake it holds gorilla's writes
// until the first read, and fixes up a permessage-deflate answer before
// gorilla reads it (see handshake.go). Once the handshake is over (sealed),
// it refuses gorilla's writes and ignores its write deadlines: the writer
// alone writes to the wire, and sets the deadlines of its own writes.
type gorillaConn struct {
	*countingConn
	sealed bool // the handshake is over; set before the reader starts

	// reads (burst.go)
	burst   bool                 // the last read filled its buffer
	buf     *[readBurstSize]byte // the burst being read, nil when drained
	r, w    int                  // the unread bytes of buf are buf[r:w]
	pending error                // the error of the read that filled buf, once it is drained

	// the handshake (handshake.go)
	read     bool     // Read was called: writes go straight through
	held     []byte   // what was written before the first read
	deflate  bool     // permessage-deflate is offered
	head     []byte   // the response's head, as gorilla is to read it
	headErr  error    // the error of the read that ended head, once it is read
	answered []string // the server's Sec-WebSocket-Extensions, when head was fixed up
}

// newGorillaConn wraps wire; deflate tells whether permessage-deflate is
// offered.
func newGorillaConn(wire *countingConn, deflate bool) *gorillaConn {
	return &gorillaConn{countingConn: wire, deflate: deflate}
}

// seal ends the handshake: gorilla may no longer write.
func (c *gorillaConn) seal() { c.sealed = true }

// Write writes p, or holds it until the first read; once sealed, it refuses
// it.
func (c *gorillaConn) Write(p []byte) (int, error) {
	switch {
	case c.sealed:
		return 0, errGorillaWrite
	case c.read:
		return c.countingConn.Write(p)
	}
	c.hold(len(p))
	c.held = append(c.held, p...)
	return len(p), nil
}

// WriteString writes s; see Write.
func (c *gorillaConn) WriteString(s string) (int, error) {
	switch {
	case c.sealed:
		return 0, errGorillaWrite
	case c.read:
		return c.countingConn.Write([]byte(s))
	}
	c.hold(len(s))
	c.held = append(c.held, s...)
	return len(s), nil
}

// WriteByte writes b; see Write.
func (c *gorillaConn) WriteByte(b byte) error {
	if c.sealed || c.read {
		_, err := c.Write([]byte{b})
		return err
	}
	c.hold(1)
	c.held = append(c.held, b)
	return nil
}

// SetWriteDeadline sets the write deadline during the handshake.
func (c *gorillaConn) SetWriteDeadline(t time.Time) error {
	if c.sealed {
		return nil
	}
	return c.countingConn.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines during the handshake.
func (c *gorillaConn) SetDeadline(t time.Time) error {
	if c.sealed {
		return c.SetReadDeadline(t)
	}
	return c.countingConn.SetDeadline(t)
}
