package websockets

import (
	"errors"
	"fmt"
	"time"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/internal/errcode"
	"github.com/loadkit/xk6-ws/internal/vuctx"
)

// errAbandoned is the error event of a socket closed while connecting.
var errAbandoned = errors.New("WebSocket was closed before the connection was established")

// wake asks for a run of the socket on the event loop. It is called by the
// dial goroutine and by the connection's reader, never blocks, and enqueues
// the registered callback at most once: a wake-up that comes while the
// callback is in use is remembered and served when it is registered again.
func (s *socket) wake() {
	s.mu.Lock()
	enqueue := s.enqueue
	s.enqueue = nil
	if enqueue == nil {
		s.pending = true
	}
	s.mu.Unlock()
	if enqueue != nil {
		enqueue(s.run)
	}
}

// rearm registers the socket's next event-loop callback. It runs on the
// event loop, which waits for that callback until the socket is finished.
func (s *socket) rearm() {
	enqueue := s.m.vu.RegisterCallback()
	s.mu.Lock()
	pending := s.pending
	s.pending = false
	if !pending {
		s.enqueue = enqueue
	}
	s.mu.Unlock()
	if pending {
		enqueue(s.run)
	}
}

// run is the socket's event-loop callback: it takes what the dial and the
// connection have to report, dispatches it, and registers the next callback
// unless the socket is finished. It returns the first exception a listener
// threw, which ends the iteration.
func (s *socket) run() error {
	err := s.step()
	if !s.finished {
		s.rearm()
	}
	return err
}

func (s *socket) step() error {
	var err error
	if s.conn == nil {
		s.mu.Lock()
		res := s.dialed
		s.dialed = nil
		s.mu.Unlock()
		if res == nil {
			return nil // the connection's reader woke us before the dial returned
		}
		err = s.handshakeEnded(res)
		if s.finished {
			return err
		}
	}
	if drainErr := s.drain(); err == nil {
		err = drainErr
	}
	return err
}

// live tells whether listeners may run: no listener threw and the VU's
// context is not over.
func (s *socket) live() bool { return !s.failed && s.ctx.Err() == nil }

// handshakeEnded handles the end of the opening handshake. A handshake that
// ended after the VU's context did is an interruption: no listener runs and
// no metric counts it (see metrics.Session.HandshakeEnded), and it returns once
// the context is done, so that k6 does not count the iteration as complete
// and start another.
func (s *socket) handshakeEnded(res *dialResult) error {
	// The dial is over: an open connection keeps no context of its own. A
	// connection that opened although close() gave the dial up is torn
	// down below.
	s.stop()
	s.stop = dialOver
	hs := res.hs
	counts := connmetrics.HandshakeEnded(s.session, hs, res.err)
	connmetrics.Tagged(s.requests, s.session)
	if !counts {
		s.finish()
		if res.conn != nil {
			res.conn.Abort(conn.CloseGoingAway)
			<-res.conn.Done()
		}
		vuctx.AwaitDone(s.ctx)
		return nil
	}
	if res.err != nil {
		cause := res.err
		if s.abandoned {
			cause = errAbandoned
		}
		return s.fail(cause, int(errcode.Of(res.err, hs.Status)), hs.Status, time.Now())
	}
	s.conn = res.conn
	s.protocol = hs.Subprotocol
	s.extensions = hs.Extensions
	if s.abandoned {
		s.conn.Abort(conn.CloseGoingAway) // its close event ends the socket
		return nil
	}
	s.state = open
	return s.emit(onOpen, func() (*sobek.Object, error) {
		return s.events.Event(eventNames[onOpen], hs.Start.Add(hs.Duration)), nil
	})
}

// dialOver is the stop function of a socket whose dial is over: the dial's
// context is released, and there is nothing left to give up.
func dialOver() {}

// fail ends a socket whose connection never opened: an error event, with
// the failure's k6 error code and the HTTP status the server answered, then
// a close event with code 1006. As in k6/ws, the session that ws_sessions
// counted also gets its ws_session_duration (stock k6/websockets omits it);
// fail is only for sessions that count.
func (s *socket) fail(cause error, errorCode, status int, at time.Time) error {
	s.finish()
	s.session.End(at)
	err := s.emit(onError, func() (*sobek.Object, error) {
		return s.events.HandshakeError(at, cause.Error(), errorCode, status), nil
	})
	if closeErr := s.emitClose(int(conn.CloseAbnormal), "", false, at); err == nil {
		err = closeErr
	}
	return err
}

// drain dispatches every event the connection has queued, in order. After a
// listener threw it goes on without running listeners, so that the close
// event still ends the socket.
func (s *socket) drain() error {
	s.buf = s.conn.Events(s.buf)
	connmetrics.AutoReplied(s.session, s.conn)
	var first error
	for i := range s.buf {
		if err := s.handle(&s.buf[i]); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *socket) handle(ev *conn.Event) error {
	switch ev.Kind {
	case conn.Text, conn.Binary:
		return s.message(ev)
	case conn.Ping:
		return s.emit(onPing, func() (*sobek.Object, error) { return s.events.Event(eventNames[onPing], ev.Time), nil })
	case conn.Pong:
		connmetrics.Received(s.session, ev)
		return s.emit(onPong, func() (*sobek.Object, error) { return s.events.Event(eventNames[onPong], ev.Time), nil })
	case conn.Error:
		// The close event follows at once: the socket reads CLOSED from here
		// on, as the standard says, and send() discards.
		s.state = closed
		if s.abandoned || s.overflow != nil {
			return nil // reported with the close event
		}
		return s.emitError(ev.Err.Error(), ev.Time)
	case conn.Close:
		return s.handleClose(ev)
	default:
		return nil
	}
}

// message delivers a data message. As the WebSocket standard says, messages
// that arrive once the socket is closing are not delivered.
func (s *socket) message(ev *conn.Event) error {
	if s.state != open || !s.live() {
		return nil
	}
	connmetrics.Received(s.session, ev)
	return s.emit(onMessage, func() (*sobek.Object, error) {
		data, err := s.messageValue(ev)
		if err != nil {
			return nil, err
		}
		return s.events.Message(ev.Time, data, s.url), nil
	})
}

func (s *socket) messageValue(ev *conn.Event) (sobek.Value, error) {
	rt := s.m.rt
	switch {
	case ev.Kind == conn.Text:
		return rt.ToValue(ev.DataString()), nil
	case s.binaryType == binaryArrayBuffer:
		return rt.ToValue(rt.NewArrayBuffer(ev.Data)), nil
	default:
		return s.m.blobObject(&blob{data: ev.Data})
	}
}

// handleClose handles the connection's last event. The connection queues it
// just before its last goroutine returns: waiting for that is immediate, and
// no goroutine of the socket outlives its close event.
func (s *socket) handleClose(ev *conn.Event) error {
	<-s.conn.Done()
	s.finish()
	connmetrics.Closed(s.session, ev)
	s.session.End(time.Now())
	code, reason, clean := ev.Code, ev.Reason, ev.Clean
	var err error
	switch {
	case s.abandoned:
		code, reason, clean = conn.CloseAbnormal, "", false
		err = s.emitError(errAbandoned.Error(), ev.Time)
	case s.overflow != nil:
		code, reason, clean = conn.CloseAbnormal, "", false
		err = s.emitError(s.overflow.Error(), ev.Time)
	}
	if closeErr := s.emitClose(int(code), reason, clean, ev.Time); err == nil {
		err = closeErr
	}
	return err
}

// finish marks the socket closed and releases its dial context.
func (s *socket) finish() {
	s.state = closed
	s.finished = true
	s.stop()
}

func (s *socket) emitError(message string, at time.Time) error {
	return s.emit(onError, func() (*sobek.Object, error) { return s.events.Error(at, message), nil })
}

func (s *socket) emitClose(code int, reason string, clean bool, at time.Time) error {
	return s.emit(onClose, func() (*sobek.Object, error) { return s.events.Close(at, code, reason, clean), nil })
}

// emit builds an event, when anything listens, and dispatches it. When a
// listener throws, the socket stops running listeners and its connection is
// torn down; the exception is returned to end the iteration.
func (s *socket) emit(t eventType, build func() (*sobek.Object, error)) error {
	if !s.live() || !s.listeners.has(t) {
		return nil
	}
	ev, err := build()
	if err == nil {
		err = s.listeners.dispatch(t, s.obj, ev)
	} else {
		err = fmt.Errorf("WebSocket: dispatching the %s event: %w", eventNames[t], err)
	}
	if err != nil {
		s.failed = true
		s.abort()
	}
	return err
}

// abort tears the connection down at once, or gives up the dial.
func (s *socket) abort() {
	if s.conn != nil {
		s.conn.Abort(conn.CloseGoingAway)
		return
	}
	s.stop()
}
