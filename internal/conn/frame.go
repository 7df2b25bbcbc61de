package conn

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// A data message of a connection without compression is written by this
// package rather than by gorilla: as one frame, in one write call, masked in
// place in the copy that Send made, which has frameHeadroom bytes in front of
// the message for the frame's header. gorilla would copy the message once
// more into its write buffer and cut it into frames of that buffer's size.
//
// Control frames, and data messages of a compressed connection, are still
// written by gorilla. Every write to the network holds the connection's
// write lock, so that a frame is never written in the middle of another.

// frameHeadroom is the room for the largest header of a client's frame: two
// bytes, a 64-bit length and a 4-byte mask key.
const frameHeadroom = 14

// Bits and lengths of a frame's first two bytes (RFC 6455, section 5.2).
const (
	finBit          = 0x80
	maskBit         = 0x80
	maxShortLength  = 125
	maxMediumLength = 1<<16 - 1
	mediumLength    = 126
	longLength      = 127
	maskKeySize     = 4
)

// writeFrame builds the header of a data message of kind in front of its
// payload, masks the payload in place and returns the frame:
// frame[frameHeadroom:] is the payload, frame[:frameHeadroom] its headroom.
// The payload is unusable afterwards.
func writeFrame(kind int, frame []byte) []byte {
	payload := frame[frameHeadroom:]
	n := len(payload)
	key := rand.Uint32() //nolint:gosec // a mask key keeps proxies from caching, it is no secret (RFC 6455, 10.3)
	start := frameHeadroom - maskKeySize
	binary.LittleEndian.PutUint32(frame[start:], key)
	switch {
	case n <= maxShortLength:
		start -= 2
		frame[start+1] = maskBit | byte(n)
	case n <= maxMediumLength:
		start -= 4
		frame[start+1] = maskBit | mediumLength
		binary.BigEndian.PutUint16(frame[start+2:], uint16(n))
	default:
		start -= 10
		frame[start+1] = maskBit | longLength
		binary.BigEndian.PutUint64(frame[start+2:], uint64(n))
	}
	frame[start] = finBit | byte(kind)
	maskBytes(key, payload)
	return frame[start:]
}

// maskBytes XORs b with the mask key, whose first byte is the key's lowest,
// from the key's first byte on: eight bytes at a time, then one at a time.
func maskBytes(key uint32, b []byte) {
	k := uint64(key) | uint64(key)<<32
	for len(b) >= 32 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(b[8:])^k)
		binary.LittleEndian.PutUint64(b[16:], binary.LittleEndian.Uint64(b[16:])^k)
		binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])^k)
		b = b[32:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= byte(k >> (8 * (i & 3)))
	}
}

// negotiatedDeflate tells whether the handshake's extensions may have
// turned permessage-deflate on; gorilla then compresses data messages.
func negotiatedDeflate(extensions []string) bool {
	for _, ext := range extensions {
		if strings.Contains(strings.ToLower(ext), "permessage-deflate") {
			return true
		}
	}
	return false
}

// errWriteLockTimeout is returned when a control frame's deadline passes
// while another frame is being written; it is a timeout, as gorilla's is.
var errWriteLockTimeout = fmt.Errorf("websocket: waiting to write a control frame: %w", os.ErrDeadlineExceeded)

// lockWrite takes the write lock, waiting as long as it takes: the holder is
// the writer or a control frame, bounded by its deadline.
func (c *Conn) lockWrite() { c.wlock <- struct{}{} }

// lockWriteBy takes the write lock unless deadline passes first.
func (c *Conn) lockWriteBy(deadline time.Time) bool {
	select {
	case c.wlock <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case c.wlock <- struct{}{}:
		return true
	case <-timer.C:
		return false
	}
}

func (c *Conn) unlockWrite() { <-c.wlock }

// writeControl writes a control frame through gorilla, holding the write
// lock, by deadline.
func (c *Conn) writeControl(kind int, data []byte, deadline time.Time) error {
	if !c.lockWriteBy(deadline) {
		return errWriteLockTimeout
	}
	defer c.unlockWrite()
	if c.writeErr != nil {
		return c.writeErr
	}
	err := c.ws.WriteControl(kind, data, deadline)
	c.wrote(kind, err)
	return err
}

// writeData writes the data message m, holding the write lock.
func (c *Conn) writeData(m outbound) error {
	c.lockWrite()
	defer c.unlockWrite()
	if c.writeErr != nil {
		return c.writeErr
	}
	var err error
	if c.compressed {
		err = c.ws.WriteMessage(m.kind, m.data)
	} else {
		err = c.writeFrame(m)
	}
	c.wrote(m.kind, err)
	return err
}

// writeFrame writes m as one frame, with the write deadline that gorilla
// would set for it (none): a control frame's deadline must not last.
func (c *Conn) writeFrame(m outbound) error {
	nc := c.ws.NetConn()
	if err := nc.SetWriteDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clearing the write deadline: %w", err)
	}
	_, err := nc.Write(writeFrame(m.kind, m.frame))
	return err
}

// wrote records, under the write lock, how a write of a frame of kind went:
// after a failed write, a torn frame may be on the wire, and after a close
// frame no frame may follow, so every later write fails.
func (c *Conn) wrote(kind int, err error) {
	switch {
	case c.writeErr != nil:
	case err != nil:
		c.writeErr = err
	case kind == websocket.CloseMessage:
		c.writeErr = websocket.ErrCloseSent
	}
}
