package conn

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// A data message of a connection without compression is written by this
// package rather than by gorilla: as one frame, in one write call. Send
// copies the message into its frame, masking it in the same pass, behind
// the frame's header. gorilla would copy the message once more into its
// write buffer, mask it there, and cut it into frames of that buffer's size.
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

// encodeFrame encodes the data message payload of kind as one masked frame
// into buf, which has room for it and frameHeadroom bytes more, so that the
// payload starts at buf[frameHeadroom:]. It returns the frame, which ends
// where the payload does and starts where its header does.
func encodeFrame(kind int, buf, payload []byte) []byte {
	n := len(payload)
	// A mask key keeps proxies from mistaking a frame for something they
	// cache; it is no secret (RFC 6455, section 10.3).
	key := rand.Uint32()
	start := frameHeadroom - maskKeySize
	binary.LittleEndian.PutUint32(buf[start:], key)
	switch {
	case n <= maxShortLength:
		start -= 2
		buf[start+1] = maskBit | byte(n)
	case n <= maxMediumLength:
		start -= 4
		buf[start+1] = maskBit | mediumLength
		binary.BigEndian.PutUint16(buf[start+2:], uint16(n))
	default:
		start -= 10
		buf[start+1] = maskBit | longLength
		binary.BigEndian.PutUint64(buf[start+2:], uint64(n))
	}
	buf[start] = finBit | byte(kind)
	maskCopy(buf[frameHeadroom:frameHeadroom+n], payload, key)
	return buf[start : frameHeadroom+n]
}

// maskCopy copies src into dst, which is as long, masked with key: each byte
// is XORed with a byte of the key, the key's lowest first. It does in one
// pass what a copy and masking in place do in two, and takes half their
// time for a large message: blocks with crypto/subtle's XOR, which uses
// vector instructions where there are some, the rest eight bytes at a time.
func maskCopy(dst, src []byte, key uint32) {
	dst = dst[:len(src)]
	if len(src) >= minMaskBlocks {
		n := maskCopyBlocks(dst, src, key)
		src, dst = src[n:], dst[n:]
	}
	k := uint64(key) | uint64(key)<<32
	for len(src) >= 32 && len(dst) >= 32 {
		binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k)
		binary.LittleEndian.PutUint64(dst[8:], binary.LittleEndian.Uint64(src[8:])^k)
		binary.LittleEndian.PutUint64(dst[16:], binary.LittleEndian.Uint64(src[16:])^k)
		binary.LittleEndian.PutUint64(dst[24:], binary.LittleEndian.Uint64(src[24:])^k)
		src, dst = src[32:], dst[32:]
	}
	for len(src) >= 8 && len(dst) >= 8 {
		binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k)
		src, dst = src[8:], dst[8:]
	}
	for i := range src {
		dst[i] = src[i] ^ byte(k>>(8*(i&3)))
	}
}

// maskBlock is the size of the blocks maskCopyBlocks masks, a multiple of
// the key's size; from minMaskBlocks bytes on, the blocks are worth the key
// stream they need.
const (
	maskBlock     = 4 << 10
	minMaskBlocks = 2 * maskBlock
)

// maskCopyBlocks masks the whole blocks of src into dst, as maskCopy does,
// and returns the bytes it masked.
//
//go:noinline
func maskCopyBlocks(dst, src []byte, key uint32) int {
	var stream [maskBlock]byte // the key, repeated
	k := uint64(key) | uint64(key)<<32
	for i := 0; i < maskBlock; i += 8 {
		binary.LittleEndian.PutUint64(stream[i:], k)
	}
	n := len(src) - len(src)%maskBlock
	for i := 0; i < n; i += maskBlock {
		subtle.XORBytes(dst[i:i+maskBlock], src[i:i+maskBlock], stream[:])
	}
	return n
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
	c.trackWriting()
	if c.writeErr != nil {
		return c.writeErr
	}
	var err error
	if m.header > 0 {
		err = c.writeFrame(m.data)
	} else {
		err = c.ws.WriteMessage(m.kind, m.data)
	}
	c.wrote(m.kind, err)
	return err
}

// writeFrame writes the frame of a data message, with the write deadline
// that gorilla would set for it (none): a control frame's deadline must not
// last.
func (c *Conn) writeFrame(frame []byte) error {
	nc := c.ws.NetConn()
	if err := nc.SetWriteDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clearing the write deadline: %w", err)
	}
	_, err := nc.Write(frame)
	return err
}

// wrote records, under the write lock, how a write of a frame of kind went:
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
