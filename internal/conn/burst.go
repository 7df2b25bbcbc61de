package conn

import (
	"net"
	"sync"
)

// readBufferSize is the size of the read buffer that gorilla keeps for the
// whole life of a connection. It is small, so that an idle connection costs
// little: data that comes in bursts is read through a pooled burst buffer
// instead (see burstConn).
const readBufferSize = 512

// Sizes of burst reads: a burst is read readBurstSize bytes at a time, and a
// read into a caller's buffer of at least directReadSize bytes (a large
// message being read) goes straight into it, with no copy.
const (
	readBurstSize  = 64 << 10
	directReadSize = 4 << 10
)

// readBurstPool lends burst buffers to connections only while a burst is
// being read, so idle connections hold none.
var readBurstPool = sync.Pool{New: func() any { return new([readBurstSize]byte) }}

// burstConn is the connection gorilla reads from. A read that fills the
// caller's buffer suggests that more data waits: the reads after it go
// through a pooled buffer of readBurstSize bytes, one read call per burst
// rather than per readBufferSize bytes, until a read leaves that buffer
// partly empty. The buffer goes back to the pool as soon as it is drained,
// so a connection blocked waiting for data holds none, except when its last
// read happened to end exactly at the end of a burst buffer.
//
// Only the goroutine that reads the connection (the dial, then the reader)
// calls Read.
//
// Until its first read, it also holds what is written to it and writes it
// all at once on that read: the opening handshake's request, which net/http
// writes in many small pieces to a writer that can take them one byte at a
// time (an io.ByteWriter), goes out in one write, and without the 4 KiB
// buffer that net/http wraps any other writer in.
type burstConn struct {
	*countingConn
	burst   bool                 // the last read filled its buffer
	buf     *[readBurstSize]byte // the burst being read, nil when drained
	r, w    int                  // the unread bytes of buf are buf[r:w]
	pending error                // the error of the read that filled buf, once it is drained
	read    bool                 // Read was called: writes go straight through
	held    []byte               // what was written before the first read
}

// heldWriteSize is the room first made for the writes held until the first
// read: a handshake request without long headers fits.
const heldWriteSize = 256

// Write writes p, or holds it until the first read.
func (c *burstConn) Write(p []byte) (int, error) {
	if c.read {
		return c.countingConn.Write(p)
	}
	c.hold(len(p))
	c.held = append(c.held, p...)
	return len(p), nil
}

// WriteString writes s; see Write.
func (c *burstConn) WriteString(s string) (int, error) {
	if c.read {
		return c.countingConn.Write([]byte(s))
	}
	c.hold(len(s))
	c.held = append(c.held, s...)
	return len(s), nil
}

// WriteByte writes b; see Write.
func (c *burstConn) WriteByte(b byte) error {
	if c.read {
		_, err := c.countingConn.Write([]byte{b})
		return err
	}
	c.hold(1)
	c.held = append(c.held, b)
	return nil
}

// hold makes the first room for held writes, n bytes of which are coming.
func (c *burstConn) hold(n int) {
	if c.held == nil {
		c.held = make([]byte, 0, max(heldWriteSize, n))
	}
}

// Read reads into p directly, or through a burst buffer during a burst.
func (c *burstConn) Read(p []byte) (int, error) {
	if !c.read {
		if err := c.release(); err != nil {
			return 0, err
		}
	}
	if c.burst || c.buf != nil {
		return c.readBurst(p)
	}
	return c.readInto(p)
}

// readInto reads into p itself; a read that fills p starts a burst.
func (c *burstConn) readInto(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.burst = n == len(p)
	return n, err
}

// readBurst serves p from the burst buffer, filling it first when it is
// drained, except that a large p is read into directly.
func (c *burstConn) readBurst(p []byte) (int, error) {
	if c.buf == nil {
		if len(p) >= directReadSize {
			return c.readInto(p)
		}
		buf, _ := readBurstPool.Get().(*[readBurstSize]byte)
		n, err := c.Conn.Read(buf[:])
		c.burst = n == len(buf)
		if n == 0 {
			readBurstPool.Put(buf)
			return 0, err
		}
		c.buf, c.r, c.w, c.pending = buf, 0, n, err
	}
	n := copy(p, c.buf[c.r:c.w])
	c.r += n
	if c.r < c.w {
		return n, nil
	}
	readBurstPool.Put(c.buf)
	c.buf = nil
	err := c.pending
	c.pending = nil
	return n, err
}

// release writes what was held until the first read, and lets later writes
// go straight through.
func (c *burstConn) release() error {
	c.read = true
	held := c.held
	c.held = nil
	if len(held) == 0 {
		return nil
	}
	_, err := c.countingConn.Write(held)
	return err
}

// newBurstConn wraps wire; see burstConn.
func newBurstConn(wire *countingConn) net.Conn { return &burstConn{countingConn: wire} }
