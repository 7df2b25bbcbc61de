// Package connmetrics records in a metrics.Session what a connection of
// internal/conn reports: the end of its opening handshake, the data messages
// the script receives and the round trip of each ping.
//
// It is the one place where the connection core, which knows nothing of k6,
// meets the metrics package, whose API speaks only k6's terms: both API
// packages record their sessions through it.
package connmetrics

import (
	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/errcode"
	"github.com/loadkit/xk6-ws/metrics"
)

// HandshakeEnded records the end of the opening handshake hs, which failed
// with err or succeeded (nil), and reports whether the session counts (see
// metrics.Session.HandshakeEnded).
func HandshakeEnded(s *metrics.Session, hs conn.Handshake, err error) bool {
	return s.HandshakeEnded(metrics.Handshake{
		Status:      hs.Status,
		Subprotocol: hs.Subprotocol,
		RemoteAddr:  hs.RemoteAddr,
		Failed:      err != nil,
		ErrorCode:   int(errcode.Of(err, hs.Status)),
	}, hs.Duration)
}

// Closed records the Close event ev, the last of the session's connection.
func Closed(s *metrics.Session, ev *conn.Event) {
	s.Closed(int(ev.Code))
}

// Received records an event the script received: a data message counts in
// ws_msgs_received, a pong that answered one of our pings is a ws_ping
// sample of its round trip time. Other events record nothing.
func Received(s *metrics.Session, ev *conn.Event) {
	switch {
	case ev.Kind == conn.Text || ev.Kind == conn.Binary:
		s.MessagesReceived(1, ev.Time)
	case ev.Kind == conn.Pong && ev.Matched:
		s.Ping(ev.RTT, ev.Time)
	}
}
