// Package conn is the WebSocket connection core that both of xk6-ws's
// JavaScript APIs stand on.
//
// A Conn is dialled through the VU's lib.State, so k6's dialer rules, TLS
// settings and byte accounting apply. One goroutine reads frames into a
// bounded inbound queue: when the queue is full it stops reading and TCP
// pushes back on the peer. Send and SendWait copy each message into a write
// queue, so the caller may reuse its bytes at once; a writer goroutine
// drains the queue and returns once it had nothing to write for a second, so
// an idle connection has none. Closing runs the RFC 6455 close handshake,
// bounded by a timeout, and the end of the VU's context tears the connection
// down at once. Whatever happens, a Conn reports exactly one close event and
// leaves no goroutine behind.
//
// gorilla/websocket opens the connection, and reads and parses frames. It
// writes nothing once the handshake is over (but for wss:// through a proxy,
// where gorilla sets TLS up itself: its close frame on a protocol error can
// still go out). This package encodes every frame a connection writes,
// masked with a key from crypto/rand: a data message as frames of at most
// 64 KiB, which Send copies and masks it into, or, with permessage-deflate,
// the writer compresses it into.
//
// # Concurrency and lifecycle
//
// A Conn has one owner: the goroutine that runs the script (in k6, the VU's
// event loop). The owner calls Send, SendWait, Ping, Close, Abort, Events and
// Buffered; none of them blocks on the network, except SendWait, which waits
// for room in the write queue. Send, SendWait, Ping, Close, Abort and
// Buffered are also safe to call from other goroutines, and Abort and Done
// from any goroutine at any time; Events must be called by the owner only,
// as it hands over storage.
//
// Every frame goes to the network through one function, Conn.writeLocked,
// holding the connection's wire lock for that frame alone (see writer.go).
// The writer goroutine writes what Send, SendWait, Ping and Close queue, in
// order; the reader writes pongs and the answer to the peer's close frame,
// and die the close frame of a fault or of an interruption, each between two
// frames of a message being written, never inside one: a control frame waits
// at most for the frame being written. Once a close frame is written,
// nothing more is.
//
// The notify function given to Dial is called from the connection's own
// goroutines whenever events are queued after the queue was last drained,
// and once more when the connection is gone, drained or not. It
// must not block and must not call into the Conn: it only wakes the owner,
// typically with a non-blocking send on a channel of capacity one. The owner
// then calls Events(buf), which moves every queued event, in order, into
// buf's storage and returns it; buf must be the slice the previous call
// returned (or nil) and the owner must be done with its events, since they
// are cleared and overwritten. Calling Events also lets a reader that waited
// for room read on. One notification may cover many events, and Events may
// return none.
//
// Every connection ends with exactly one Close event, its last. When a fault
// of the network or the peer ended it (a dropped connection, a protocol
// error, a message over MaxMessageSize, a close handshake that timed out),
// an Error event saying which comes just before. The Close event's Code is
// the peer's close code after a clean close handshake, and 1006 when no
// close frame arrived.
//
// A connection moves only forward: open; closing once Close queued our close
// frame behind the messages already queued; closeSent once a close frame of
// ours is on the wire (ours or the answer to the peer's); tearing down once
// the peer answered, the close timeout passed, a fault happened, Abort was
// called or the Dial context ended; gone when all of its goroutines have
// returned. CloseTimeout counts from the moment our close frame is on the
// wire; while it still waits behind queued messages, the close goes on as
// long as the peer reads some of them every CloseTimeout (or 5 seconds, if
// longer). Once the connection takes no more messages,
// Send, SendWait and Ping return an error that says why: ErrClosing after
// Close, or ErrClosed with the cause (the peer dropped the connection, the
// peer closed it with a *CloseError, the VU stopped, ...).
//
// Done is closed once the connection is gone: its Error and Close events are
// queued, the TCP connection is closed and its goroutines have returned. The
// owner may wait on Done, but it must still drain the last events with
// Events.
package conn
