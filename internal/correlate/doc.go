// Package correlate matches the replies a WebSocket connection reads with
// the requests it wrote, and times them at the wire.
//
// A Spec says how: keys taken from text messages by a dotted JSON path or a
// regular expression's first group (Extractor), or FIFO, where each message
// read answers the oldest open request. A Table applies a Spec to one
// connection: it is the connection's conn.Tracker, so it is told of each
// message on the connection's own goroutines, as the message's last frame
// is written and as a message is read, and it reports each request once to
// its Recorder: answered, with the time from its write to its reply's read,
// or failed, when no reply came within the Spec's Timeout or the connection
// closed first. The package knows nothing of k6 or of JavaScript.
package correlate
