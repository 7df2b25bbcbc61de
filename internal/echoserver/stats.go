package echoserver

import "sync/atomic"

// Stats is a snapshot of a server's counters since it started. Message and
// byte counts cover data (text and binary) messages only; byte counts are
// payload bytes. A received message is counted once it is read and handled
// (echoed into the write buffer, broadcast to a room); a sent message is
// counted just before its last bytes are written, so a client that has read
// a message always finds it counted.
type Stats struct {
	// Connections is the number of connections accepted by a WebSocket route
	// (upgraded, or hijacked by a misbehaving route).
	Connections int64
	// OpenConnections is how many of those are still open.
	OpenConnections int64
	// MessagesReceived is the number of data messages read from clients.
	MessagesReceived int64
	// MessagesSent is the number of data messages written to clients.
	MessagesSent int64
	// BytesReceived is the payload size of all data messages received.
	BytesReceived int64
	// BytesSent is the payload size of all data messages sent.
	BytesSent int64
	// PingsSent is the number of ping frames the /ping route sent.
	PingsSent int64
	// PongsReceived is the number of pong frames received on the /ping route.
	PongsReceived int64
}

// counters are the live, concurrently updated values behind Stats.
type counters struct {
	connections      atomic.Int64
	open             atomic.Int64
	messagesReceived atomic.Int64
	messagesSent     atomic.Int64
	bytesReceived    atomic.Int64
	bytesSent        atomic.Int64
	pingsSent        atomic.Int64
	pongsReceived    atomic.Int64
}

// opened counts a new connection.
func (c *counters) opened() {
	c.connections.Add(1)
	c.open.Add(1)
}

func (c *counters) received(n int64) {
	c.messagesReceived.Add(1)
	c.bytesReceived.Add(n)
}

func (c *counters) sent(n int64) {
	c.messagesSent.Add(1)
	c.bytesSent.Add(n)
}

// sentMany counts n messages of bytes payload bytes in all.
func (c *counters) sentMany(n, bytes int64) {
	c.messagesSent.Add(n)
	c.bytesSent.Add(bytes)
}

func (c *counters) snapshot() Stats {
	return Stats{
		Connections:      c.connections.Load(),
		OpenConnections:  c.open.Load(),
		MessagesReceived: c.messagesReceived.Load(),
		MessagesSent:     c.messagesSent.Load(),
		BytesReceived:    c.bytesReceived.Load(),
		BytesSent:        c.bytesSent.Load(),
		PingsSent:        c.pingsSent.Load(),
		PongsReceived:    c.pongsReceived.Load(),
	}
}
