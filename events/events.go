// Package events names the events that xk6-ws delivers to scripts.
//
// Both JavaScript APIs share the names: k6/ws registers handlers with
// socket.on(name, fn), the WebSocket class with addEventListener(name, fn) or
// the matching on<name> property.
package events

// Event names, as scripts spell them.
const (
	// Open fires once, when the handshake has completed.
	Open = "open"
	// Message fires for every data message (text, and for the WebSocket class
	// binary too).
	Message = "message"
	// BinaryMessage fires for binary data messages in the k6/ws API.
	BinaryMessage = "binaryMessage"
	// Ping fires when the peer sends a ping frame.
	Ping = "ping"
	// Pong fires when the peer sends a pong frame.
	Pong = "pong"
	// Error fires for faults of the network or the peer.
	Error = "error"
	// Close fires exactly once, when the connection is gone.
	Close = "close"
)
