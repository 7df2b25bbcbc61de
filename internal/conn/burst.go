package conn

import "sync"

// readBufferSize is the size of the read buffer that gorilla keeps for the
// whole life of a connection. It is small, so that an idle connection costs
// little: data that comes in bursts is read through a pooled burst buffer
// instead (see gorillaConn).
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

// gorillaConn reads in bursts: a read that fills the caller's buffer
// suggests that more data waits, so the reads after it go through a pooled
// buffer of readBurstSize bytes, one read call per burst rather than per
// readBufferSize bytes, until a read leaves that buffer partly empty. The
// buffer goes back to the pool as soon as it is drained, so a connection
// blocked waiting for data holds none, except when its last read happened
// to end exactly at the end of a burst buffer.
//
// Only the goroutine that reads the connection (the dial, then the reader)
// calls Read.

// Read reads into p directly, or through a burst buffer during a burst.
func (c *gorillaConn) Read(p []byte) (int, error) {
	if !c.read {
		if err := c.release(); err != nil {
			return 0, err
		}
	}
	if c.head != nil || c.headErr != nil {
		return c.readHead(p)
	}
	if c.burst || c.buf != nil {
		return c.readBurst(p)
	}
	return c.readInto(p)
}

// readInto reads into p itself; a read that fills p starts a burst.
func (c *gorillaConn) readInto(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.burst = n == len(p)
	return n, err
}

// readBurst serves p from the burst buffer, filling it first when it is
// drained, except that a large p is read into directly.
func (c *gorillaConn) readBurst(p []byte) (int, error) {
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
