package conn

import "encoding/binary"

// A client's frames are encoded here, masked, each behind room left for
// its header, so that a frame is one slice written in one call (see
// writer.go for who writes them).
//
// A data message is cut into fragments of at most maxFragment bytes (RFC
// 6455, section 5.4): its frames are laid out one after the other in one
// buffer, each in a slot of frameHeadroom bytes followed by its payload, and
// the header of each ends where its payload starts. A message that fits one
// fragment is one frame. Each frame has a mask key of its own.

// frameHeadroom is the room for the largest header of a client's frame: two
// bytes, a 64-bit length and a 4-byte mask key.
const frameHeadroom = 14

// maxFragment is the largest payload of one frame of a data message. The
// writer lets a control frame go out between two frames, so it bounds how
// long a pong, or a close frame, waits for a large message; it is large
// enough that the write calls of a large message cost nothing measurable
// (BenchmarkEchoRoundTrip/1MiB, bench scenario "large").
const maxFragment = 64 << 10

// Bits and lengths of a frame's first two bytes (RFC 6455, section 5.2).
const (
	finBit          = 0x80
	rsv1Bit         = 0x40 // a compressed message (RFC 7692, section 6)
	maskBit         = 0x80
	maxShortLength  = 125
	maxMediumLength = 1<<16 - 1
	mediumLength    = 126
	longLength      = 127
	maskKeySize     = 4

	continuationFrame = 0
	maxControlPayload = maxShortLength
)

// framedSize returns the size of the buffer that encodeMessage lays the
// frames of an n-byte message out in.
func framedSize(n int) int {
	fragments := max(1, (n+maxFragment-1)/maxFragment)
	return n + fragments*frameHeadroom
}

// encodeMessage encodes payload as the frames of a data message of kind
// into buf, of framedSize(len(payload)) bytes. The first frame has the
// message's opcode and, when compressed, RSV1; the last one has FIN.
func encodeMessage(kind int, compressed bool, buf, payload []byte) {
	first := byte(kind) //nolint:gosec // kind is an opcode, 1 or 2
	if compressed {
		first |= rsv1Bit
	}
	for {
		n := min(len(payload), maxFragment)
		if n == len(payload) {
			first |= finBit
		}
		encodeFrame(first, buf[:frameHeadroom+n], payload[:n])
		if n == len(payload) {
			return
		}
		payload, buf = payload[n:], buf[frameHeadroom+n:]
		first = continuationFrame
	}
}

// nextFrame returns the first of the frames that encodeMessage laid out in
// frames, and the rest of them.
func nextFrame(frames []byte) (frame, rest []byte) {
	n := min(len(frames)-frameHeadroom, maxFragment)
	end := frameHeadroom + n
	return frames[frameHeadroom-headerSize(n) : end], frames[end:]
}

// headerSize returns the size of the header of a client's frame of n bytes.
func headerSize(n int) int {
	switch {
	case n <= maxShortLength:
		return 2 + maskKeySize
	case n <= maxMediumLength:
		return 4 + maskKeySize
	default:
		return 10 + maskKeySize
	}
}

// encodeFrame encodes payload as one masked frame whose first byte is first
// (FIN, RSV1 and the opcode) into buf, which has room for it and
// frameHeadroom bytes more, so that the payload starts at
// buf[frameHeadroom:]. It returns the frame, which ends where the payload
// does and starts where its header does.
func encodeFrame(first byte, buf, payload []byte) []byte {
	n := len(payload)
	key := newMaskKey()
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
	buf[start] = first
	maskCopy(buf[frameHeadroom:frameHeadroom+n], payload, key)
	return buf[start : frameHeadroom+n]
}
