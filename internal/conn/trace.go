package conn

import "github.com/gorilla/websocket"

// Direction says which way a traced frame went.
type Direction uint8

// The directions of a frame.
const (
	// Received is a frame read from the peer.
	Received Direction = iota + 1
	// Sent is a frame written to the peer.
	Sent
)

// String returns "received" or "sent".
func (d Direction) String() string {
	if d == Sent {
		return "sent"
	}
	return "received"
}

// TracePrefix bounds the bytes of a payload that a Tracer is given.
const TracePrefix = 32

// Tracer is told of every frame a connection reads or writes: set in
// Options.Tracer, nil for none, which costs a connection one branch per
// frame. A data message counts as one frame, its opcode text or binary, its
// length the message's. Frame is called from the connection's goroutines,
// for a sent frame under the wire lock, just before the frame (a message's
// first frame) is written: it must be quick, and must not keep prefix, the
// first TracePrefix bytes of the payload at most, unmasked.
type Tracer interface {
	Frame(dir Direction, opcode, length int, prefix []byte)
}

// traceRead tells the tracer of the frame of opcode read with payload.
func (c *Conn) traceRead(opcode int, payload []byte) {
	if c.opts.Tracer != nil {
		c.opts.Tracer.Frame(Received, opcode, len(payload), payload[:min(len(payload), TracePrefix)])
	}
}

// traceWrite tells the tracer of the frame of opcode written with payload,
// which is not masked: a control frame's, or a message gorilla compresses.
func (c *Conn) traceWrite(opcode int, payload []byte) {
	if c.opts.Tracer != nil {
		c.opts.Tracer.Frame(Sent, opcode, len(payload), payload[:min(len(payload), TracePrefix)])
	}
}

// traceData tells the tracer of the data message m, as its first frame is
// written.
func (c *Conn) traceData(m *outbound) {
	if c.opts.Tracer == nil {
		return
	}
	if !m.framed {
		c.traceWrite(m.kind, m.data)
		return
	}
	// The payload of the message's first frame is masked with the key that
	// ends the frame's header.
	first, _ := nextFrame(m.data)
	payload := first[len(first)-min(m.size, maxFragment):]
	key := first[len(first)-len(payload)-maskKeySize : len(first)-len(payload)]
	var prefix [TracePrefix]byte
	n := min(len(payload), TracePrefix)
	for i := range n {
		prefix[i] = payload[i] ^ key[i%maskKeySize]
	}
	c.opts.Tracer.Frame(Sent, m.kind, m.size, prefix[:n])
}

// traceControl tells the tracer of a ping or pong frame read with payload.
func (c *Conn) traceControl(opcode int, payload string) {
	if c.opts.Tracer != nil {
		c.traceRead(opcode, []byte(payload))
	}
}

// traceClose tells the tracer of a close frame read with code and reason.
func (c *Conn) traceClose(code int, reason string) {
	if c.opts.Tracer == nil {
		return
	}
	var payload []byte
	if code != int(CloseNoStatus) {
		payload = websocket.FormatCloseMessage(code, reason)
	}
	c.traceRead(websocket.CloseMessage, payload)
}
