package conn

import (
	"fmt"
	"net/http"
	"time"
)

// Defaults of the limits in Options.
const (
	DefaultHandshakeTimeout = 60 * time.Second
	DefaultCloseTimeout     = 5 * time.Second
	DefaultMaxMessageSize   = 64 << 20
	DefaultQueueMessages    = 4096
	DefaultQueueBytes       = 8 << 20
	DefaultWriteQueueBytes  = 256 << 20
)

// minStallWait is the shortest time a close waits for a peer that reads
// nothing of the messages queued before our close frame.
const minStallWait = 5 * time.Second

// interruptWriteWait bounds the close frame sent when the VU's context ends
// or Abort is called; faultWriteWait, gorilla's own wait, the close frame
// that answers a fault of the peer; controlWriteWait other control frames.
const (
	interruptWriteWait = 100 * time.Millisecond
	faultWriteWait     = time.Second
	controlWriteWait   = 5 * time.Second
)

// Options configure a connection. Zero values take the defaults above.
type Options struct {
	// Header is sent with the opening handshake.
	Header http.Header
	// Subprotocols are offered in Sec-WebSocket-Protocol, in order.
	Subprotocols []string
	// Compression asks for permessage-deflate (RFC 7692).
	Compression bool
	// Jar supplies and stores cookies of the handshake; nil sends none.
	Jar http.CookieJar
	// HandshakeTimeout bounds the dial, TLS and HTTP upgrade together.
	HandshakeTimeout time.Duration
	// CloseTimeout bounds the wait for the peer's close frame after ours,
	// counted from the moment ours is on the wire. While it still waits
	// behind queued messages, the close goes on as long as the peer reads
	// some of them every CloseTimeout (or 5 seconds, if longer).
	CloseTimeout time.Duration
	// MaxMessageSize is the largest message accepted from the peer, in
	// bytes; a larger one closes the connection with 1009.
	MaxMessageSize int64
	// QueueMessages and QueueBytes bound the inbound queue. The reader stops
	// reading when either is reached (a single message may exceed QueueBytes).
	QueueMessages int
	QueueBytes    int
	// WriteQueueBytes bounds the bytes queued by Send and not yet written.
	WriteQueueBytes int
	// Tracer, when not nil, is told of every frame read and written.
	Tracer Tracer
	// Tracker, when set, is told of every data message written and read
	// (see service.go).
	Tracker Tracker
	// AutoReply lists the text messages the connection answers itself,
	// without delivering them (see service.go).
	AutoReply []AutoReply
}

// withDefaults returns o with every zero limit replaced by its default.
func (o Options) withDefaults() Options {
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.CloseTimeout == 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.QueueMessages == 0 {
		o.QueueMessages = DefaultQueueMessages
	}
	if o.QueueBytes == 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	if o.WriteQueueBytes == 0 {
		o.WriteQueueBytes = DefaultWriteQueueBytes
	}
	return o
}

// validate reports the first limit that is out of range.
func (o Options) validate() error {
	switch {
	case o.HandshakeTimeout < 0:
		return fmt.Errorf("handshakeTimeout must be positive, got %s", o.HandshakeTimeout)
	case o.CloseTimeout < 0:
		return fmt.Errorf("closeTimeout must be positive, got %s", o.CloseTimeout)
	case o.MaxMessageSize < 0:
		return fmt.Errorf("maxMessageSize must be a positive number of bytes, got %d", o.MaxMessageSize)
	case o.QueueMessages < 0 || o.QueueBytes < 0 || o.WriteQueueBytes < 0:
		return fmt.Errorf("queue sizes must be positive, got %d messages, %d bytes and %d write bytes",
			o.QueueMessages, o.QueueBytes, o.WriteQueueBytes)
	}
	return nil
}
