package websockets

import (
	"errors"
	"fmt"
	"time"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/jsval"
)

// What the script sends, and how it closes, as the WHATWG standard says:
// what counts is the ready state the script can see. While the socket reads
// OPEN, send() queues the data even when the connection is already gone
// (the data is lost with it, and the error and close events follow); once
// it reads CLOSING or CLOSED, send() discards the data. Either way the bytes
// that never reach the wire stay in bufferedAmount, and send() never throws
// but while CONNECTING.

// bufferedAmount is the bytes that send() took and that were not written:
// those waiting in the connection's write queue, and those discarded.
func (s *socket) bufferedAmount() int64 {
	n := s.discarded
	if s.conn != nil {
		n += s.conn.Buffered()
	}
	return n
}

// send queues a data message while the socket is open, or discards it.
// When the message does not fit in the write queue (writeQueueBytes), the
// socket fails: it reads CLOSING, the connection is dropped, and an error
// event and a close event with code 1006 follow.
//
// A message that params.correlate refuses (too many open requests, or its
// key already open) is not sent, and the error says why: the script asked
// for more than it allowed itself.
func (s *socket) send(binary bool, data []byte) error {
	if s.state != open {
		s.discarded += int64(len(data))
		return nil
	}
	err := s.conn.Send(binary, data)
	switch {
	case err == nil:
	case errors.Is(err, conn.ErrRefused):
		return err
	case errors.Is(err, conn.ErrWriteQueueFull):
		s.discarded += int64(len(data))
		s.overflowed(err)
		return nil
	default:
		// The connection is gone and its error and close events are on
		// their way: the message is lost with it, as if it had been queued.
		s.discarded += int64(len(data))
	}
	s.session.MessageSent(time.Now())
	return nil
}

// overflowed fails the socket whose write queue is full, as the standard
// says of a send() that cannot buffer its data: the connection is closed
// without a closing handshake, and its close event is preceded by an error
// event that says why.
func (s *socket) overflowed(err error) {
	s.state = closing
	s.overflow = fmt.Errorf("WebSocket.send: the socket failed because its write queue is full "+
		"(params.writeQueueBytes): %w", err)
	s.conn.Abort(conn.CloseAbnormal)
}

// ping sends a ping frame. It throws outside of OPEN; while the socket
// reads OPEN, a ping on a connection that is gone is dropped with it.
func (s *socket) ping() error {
	if s.state != open {
		return jsval.Errorf(jsval.InvalidStateError,
			"Failed to execute 'ping' on 'WebSocket': the WebSocket is in the %s state", stateNames[s.state])
	}
	_ = s.conn.Ping() // an error means the connection is gone, which its events report
	return nil
}

// close starts the closing handshake, or gives up the dial while connecting.
func (s *socket) close(code conn.StatusCode, reason string) {
	switch s.state {
	case connecting:
		s.state = closing
		s.abandoned = true
		s.stop()
	case open:
		s.state = closing
		s.conn.Close(code, reason)
	case closing, closed:
	}
}
