package ws

import (
	"context"
	"errors"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/modules"

	"github.com/loadkit/xk6-ws/events"
	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/metrics"
)

// goneWait bounds the wait for a connection's goroutines once it reported
// its close event or was aborted; the core needs far less.
const goneWait = 5 * time.Second

// errInterrupted reports that the VU's context ended, so no more script code
// may run.
var errInterrupted = errors.New("the VU's context is done")

// socket is the state behind the Socket object a ws.connect callback gets.
// Everything in it runs on the VU's goroutine.
type socket struct {
	vu   modules.VU
	rt   *sobek.Runtime
	ctx  context.Context //nolint:containedctx // the VU's context, checked before any script code runs
	conn *conn.Conn
	sess *metrics.Session
	wake <-chan struct{}
	obj  *sobek.Object
	// methods are the socket's methods bound to it, by their index in
	// socketMethods; each is nil until the script reads it.
	methods [numSocketMethods]sobek.Value

	handlers handlers
	timers   timers
	events   []conn.Event // storage handed back to conn.Events

	closing     bool // the script called close()
	closeCode   int
	closeReason string
	closed      bool // the close event was handled
}

func newSocket(vu modules.VU, c *conn.Conn, sess *metrics.Session, wake <-chan struct{}) *socket {
	return &socket{
		vu:   vu,
		rt:   vu.Runtime(),
		ctx:  vu.Context(),
		conn: c,
		sess: sess,
		wake: wake,
	}
}

// run runs the callback of ws.connect, the open event and then the loop
// until the close event was handled. It returns an exception of the script
// that ended the socket early.
func (s *socket) run(setup sobek.Callable) error {
	defer s.timers.stop()
	if err := s.call(setup, s.obj); err != nil {
		return s.fail(err)
	}
	if err := s.emit(events.Open); err != nil {
		return s.fail(err)
	}
	for !s.closed {
		if err := s.step(); err != nil {
			return s.fail(err)
		}
	}
	s.waitGone()
	return nil
}

// step waits for the next thing to do and does it. The connection's last
// events, the close event included, come through wake like any other: it
// wakes the socket whenever events were queued after a drain.
func (s *socket) step() error {
	select {
	case <-s.ctx.Done():
		return errInterrupted
	case <-s.wake:
		return s.drain()
	case <-s.timers.C():
		return s.runTimers(time.Now())
	}
}

// fail ends the socket because of err: the connection is torn down with
// 1001 (going away) and, unless the VU's context is done, the close
// handlers run, as in k6. It returns the script's exception, or nil when the
// VU's context ended.
func (s *socket) fail(err error) error {
	s.timers.stop()
	s.conn.Abort(conn.CloseGoingAway)
	s.waitGone()
	if errors.Is(err, errInterrupted) {
		return nil
	}
	if !s.closed {
		s.closed = true
		// The first exception is the one the script sees.
		_ = s.emit(events.Close, s.rt.ToValue(int(conn.CloseGoingAway)), s.rt.ToValue(""))
	}
	return err
}

// waitGone waits, bounded, until the connection's goroutines have returned.
func (s *socket) waitGone() { waitGone(s.conn, s.vu.State().Logger) }

// warner is the part of the VU's logger that waitGone uses.
type warner interface {
	Warnf(format string, args ...any)
}

// waitGone waits, bounded, until c's goroutines have returned. When they
// already have, as after the close event, it arms no timer.
func waitGone(c *conn.Conn, logger warner) {
	select {
	case <-c.Done():
		return
	default:
	}
	bound := time.NewTimer(goneWait)
	defer bound.Stop()
	select {
	case <-c.Done():
	case <-bound.C:
		logger.Warnf("ws: the connection was not torn down within %s", goneWait)
	}
}

// drain hands every queued event to the script, in order.
func (s *socket) drain() error {
	evs := s.conn.Events(s.events)
	s.events = evs
	connmetrics.AutoReplied(s.sess, s.conn)
	for i := range evs {
		if err := s.handle(&evs[i]); err != nil {
			return err
		}
	}
	return nil
}

// handle delivers one event. Once the script called close(), only the error
// and close events reach it, as in k6.
func (s *socket) handle(ev *conn.Event) error {
	if s.ctx.Err() != nil {
		return errInterrupted // not delivered, so not counted either
	}
	switch ev.Kind {
	case conn.Text, conn.Binary:
		if s.closing {
			return nil
		}
		err := s.deliverMessage(ev)
		if !errors.Is(err, errInterrupted) {
			connmetrics.Received(s.sess, ev)
		}
		return err
	case conn.Ping:
		if s.closing {
			return nil
		}
		return s.emit(events.Ping)
	case conn.Pong:
		connmetrics.Received(s.sess, ev)
		if s.closing {
			return nil
		}
		return s.emit(events.Pong)
	case conn.Error:
		return s.emit(events.Error, s.rt.ToValue(ev.Err))
	case conn.Close:
		return s.handleClose(ev)
	}
	return nil
}

func (s *socket) deliverMessage(ev *conn.Event) error {
	if ev.Kind == conn.Text {
		if !s.handlers.has(events.Message) {
			return nil
		}
		return s.emit(events.Message, s.rt.ToValue(ev.DataString()))
	}
	if !s.handlers.has(events.BinaryMessage) {
		return nil
	}
	return s.emit(events.BinaryMessage, s.rt.ToValue(s.rt.NewArrayBuffer(ev.Data)))
}

// handleClose delivers the last event. A close the peer started with a code
// other than 1000 or 1001 is also an error event, as in k6. When the script
// started the close handshake, the close handlers get its code and reason.
func (s *socket) handleClose(ev *conn.Event) error {
	connmetrics.Closed(s.sess, ev)
	code, reason := ev.Code, ev.Reason
	switch {
	case ev.Clean && s.closing:
		code, reason = conn.StatusCode(s.closeCode), s.closeReason
	case ev.Clean && code != conn.CloseNormal && code != conn.CloseGoingAway:
		if err := s.emit(events.Error, s.rt.ToValue(&conn.CloseError{Code: code, Reason: reason})); err != nil {
			return err
		}
	}
	s.closed = true
	return s.emit(events.Close, s.rt.ToValue(int(code)), s.rt.ToValue(reason))
}

// runTimers runs every timer that is due at now, in order.
func (s *socket) runTimers(now time.Time) error {
	for {
		fn, ok := s.timers.next(now)
		if !ok {
			break
		}
		if err := s.call(fn); err != nil {
			return err
		}
	}
	s.timers.arm()
	return nil
}

// emit runs the handlers of event in the order they were added. A handler
// added meanwhile runs from the next event on.
func (s *socket) emit(event string, args ...sobek.Value) error {
	for _, h := range s.handlers {
		if h.event != event {
			continue
		}
		if err := s.call(h.fn, args...); err != nil {
			return err
		}
	}
	return nil
}

// call runs fn unless the VU's context is done.
func (s *socket) call(fn sobek.Callable, args ...sobek.Value) error {
	if s.ctx.Err() != nil {
		return errInterrupted
	}
	_, err := fn(sobek.Undefined(), args...)
	return err
}
