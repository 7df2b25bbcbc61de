package websockets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/internal/jsval"
	"github.com/loadkit/xk6-ws/internal/params"
	"github.com/loadkit/xk6-ws/metrics"
)

// streamState is where a WebSocketStream is in its life.
type streamState int

// The states of a WebSocketStream.
const (
	streamConnecting streamState = iota
	streamOpen
	streamClosing
	streamClosed
)

// wsStream is the Go side of one WebSocketStream object.
//
// Unlike a WebSocket, a stream does not keep the VU's event loop busy for its
// whole life: it registers an event-loop callback only while a promise the
// script may be waiting on is pending (opened while connecting, a read()
// without a message to give, a write() waiting for room, closed while
// closing). In between, what the connection reports waits in its bounded
// queue, so the stream can be kept in module scope and used by the next
// iterations of the VU.
//
// Settling a promise runs the script's reactions at once, which may call
// into the stream again: state is updated before promises are settled.
//
// The fields above mu belong to the VU's goroutine (the event loop), except
// when the VU has stopped and its keeper tears the stream down; the fields
// under mu are shared with the dial and write goroutines.
type wsStream struct {
	m       *module
	life    *streamLife
	url     string
	ctx     context.Context //nolint:containedctx // the stream's own context, a child of the VU's lifetime
	stop    context.CancelFunc
	session *metrics.Session
	// requests records the outcomes of params.correlate; nil without it.
	requests *metrics.Requests

	state      streamState
	conn       *conn.Conn
	protocol   string
	extensions string
	// abandoned is set by close() while connecting.
	abandoned bool

	opened, closed promise
	readable       *sobek.Object
	writable       *sobek.Object

	// reading: msgs[next:] are messages taken from the connection and not
	// read yet; reads are the read() promises waiting for one.
	msgs      []conn.Event
	next      int
	reads     []promise
	reader    *streamReader // the reader holding the lock, if any
	cancelled bool          // the readable was cancelled: messages are dropped
	// ended is set once the connection's close event was taken; fault is
	// the error it reported, endErr what reads get once msgs are consumed
	// (nil on a clean close).
	ended  bool
	fault  error
	endErr *sobek.Object

	// writing: waiting are the writes handed to the send goroutine, in order.
	waiting      []*pendingWrite
	ready        *promise // writer.ready while writes wait, made when asked for
	writer       *streamWriter
	closeOnDrain *promise // writer.close() waiting for the writes before it

	// holding is set while an event-loop callback is registered; holdCtx is
	// the iteration it was registered in, unwatch stops watching its end.
	holding bool
	holdCtx context.Context //nolint:containedctx // the iteration the registered callback belongs to
	unwatch func() bool

	mu      sync.Mutex
	enqueue func(func() error) // the registered callback, until a wake-up takes it
	woken   bool               // a wake-up came while no callback was registered
	dialed  *dialResult        // the dial's outcome, until the event loop takes it
	outbox  []*pendingWrite    // writes for the send goroutine
	sending bool               // the send goroutine runs
}

// pendingWrite is a write() that waits for room in the write queue.
type pendingWrite struct {
	binary bool
	data   []byte
	p      promise // zero once the iteration that wrote it is over
	// set by the send goroutine, under the stream's mu
	done bool
	err  error
}

// promise is a JavaScript promise with its resolving functions.
type promise struct {
	p       *sobek.Promise
	resolve func(any) error
	reject  func(any) error
}

func (p promise) pending() bool { return p.p != nil && p.p.State() == sobek.PromiseStatePending }

// settle resolves or rejects p unless it is already settled or abandoned.
// An error here is an uncatchable one (the VU is being interrupted): the
// promise then simply never settles, which nothing can observe any more.
func (p promise) settle(v any, reject bool) {
	if !p.pending() {
		return
	}
	if reject {
		_ = p.reject(v)
		return
	}
	_ = p.resolve(v)
}

// newPromise returns a pending promise.
func (m *module) newPromise() promise {
	p, resolve, reject := m.rt.NewPromise()
	return promise{p: p, resolve: resolve, reject: reject}
}

// handledPromise returns a pending promise that is marked as handled, as
// the standard does for opened and closed: its rejection is not reported
// as uncaught when the script never looks at it.
func (m *module) handledPromise() promise {
	p := m.newPromise()
	obj := m.rt.ToValue(p.p).ToObject(m.rt)
	if then, ok := sobek.AssertFunction(obj.Get("then")); ok {
		_, _ = then(obj, sobek.Undefined(), m.noop)
	}
	return p
}

// newWebSocketStream is the constructor: new WebSocketStream(url, options).
func (m *module) newWebSocketStream(call sobek.ConstructorCall) *sobek.Object {
	if !inherits(call.This, m.wssProto) {
		jsval.Throwf(m.rt, jsval.TypeError, "Failed to construct 'WebSocketStream': please use the 'new' operator")
	}
	state := m.vu.State()
	if state == nil {
		common.Throw(m.rt, jsval.ErrInitContext)
	}
	u, err := parseURL(call.Argument(0))
	if err != nil {
		common.Throw(m.rt, fmt.Errorf("WebSocketStream: %w", err))
	}
	p, err := m.streamOptions(call.Argument(1))
	if err != nil {
		common.Throw(m.rt, err)
	}
	urlTags(&p.Tags, state.Options.SystemTags, u)

	life := m.streams.begin(m.vu)
	ctx, stop := context.WithCancel(life.ctx)
	s := &wsStream{
		m:      m,
		life:   life,
		url:    u,
		ctx:    ctx,
		stop:   stop,
		opened: m.handledPromise(),
		closed: m.handledPromise(),
		session: metrics.NewSession(life.ctx, state.Samples, state.BuiltinMetrics,
			state.Options.SystemTags, p.Tags, time.Now()),
	}
	s.requests, err = connmetrics.Correlate(life.ctx, state.Samples, m.requestMetrics, m.requestsMissing,
		p.Correlate, p.Tags, &p.Options)
	if err != nil {
		stop()
		jsval.Throw(m.rt, jsval.Errorf(jsval.TypeError, "WebSocketStream: %w", err))
	}
	if err := attach(m.rt, call.This, m.wssKey, s); err != nil {
		stop()
		common.Throw(m.rt, err)
	}
	if !life.add(s) {
		stop()
		common.Throw(m.rt, errors.New("WebSocketStream: the VU is stopping"))
	}
	target := conn.Target{URL: u, Dialer: state.Dialer, TLSConfig: state.TLSConfig}
	life.wg.Add(1)
	go s.dial(target, p.Options)
	s.hold()
	return nil
}

// streamOptions checks the options argument: protocols and signal, and
// every param of the WebSocket class.
func (m *module) streamOptions(v sobek.Value) (params.Params, error) {
	const what = "WebSocketStream"
	rest := sobek.Undefined()
	var protocols []string
	if !common.IsNullish(v) {
		obj, ok := v.(*sobek.Object)
		if !ok {
			return params.Params{}, fmt.Errorf("%s: options must be an object, got %s", what, jsval.Describe(v))
		}
		copied := m.rt.NewObject()
		for _, key := range obj.Keys() {
			val := obj.Get(key)
			switch key {
			case "protocols":
				var err error
				if protocols, err = params.Subprotocols(m.rt, val, what+": options.protocols"); err != nil {
					return params.Params{}, fmt.Errorf("invalid options argument: %w", err)
				}
			case "signal":
				if !common.IsNullish(val) {
					return params.Params{}, fmt.Errorf("%s: options.signal is not supported: k6 has no "+
						"AbortSignal; close the stream with close() instead", what)
				}
			default:
				if err := copied.Set(key, val); err != nil {
					return params.Params{}, fmt.Errorf("%s: reading options.%s: %w", what, key, err)
				}
			}
		}
		rest = copied
	}
	p, err := params.Parse(m.rt, m.vu.State(), rest, params.Rules{Name: what, Strict: true})
	if err != nil {
		return params.Params{}, fmt.Errorf("invalid options argument (protocols is allowed too): %w", err)
	}
	p.Options.Subprotocols = protocols
	return p, nil
}

// streamOf returns the stream behind this, or throws.
func (m *module) streamOf(this sobek.Value, what string) *wsStream {
	if s, ok := native[*wsStream](this, m.wssKey); ok {
		return s
	}
	jsval.Throwf(m.rt, jsval.TypeError, "WebSocketStream.%s called on %s, which is not a WebSocketStream",
		what, jsval.Describe(this))
	return nil
}

// dial runs in its own goroutine: it opens the connection and hands the
// outcome to the event loop.
func (s *wsStream) dial(target conn.Target, opts conn.Options) {
	defer s.life.wg.Done()
	c, hs, err := conn.Dial(s.ctx, target, opts, s.wake)
	s.mu.Lock()
	s.dialed = &dialResult{conn: c, hs: hs, err: err}
	s.mu.Unlock()
	s.wake()
}

// wake asks for a run of the stream on the event loop, if a callback is
// registered; otherwise the next call into the stream, or the next
// registration, picks up what happened. It never blocks.
func (s *wsStream) wake() {
	s.mu.Lock()
	enqueue := s.enqueue
	s.enqueue = nil
	if enqueue == nil {
		s.woken = true
	}
	s.mu.Unlock()
	if enqueue != nil {
		enqueue(s.run)
	}
}

// needsLoop tells whether a promise the script may be waiting on depends on
// the network.
func (s *wsStream) needsLoop() bool {
	return s.state == streamConnecting || len(s.reads) > 0 || len(s.waiting) > 0 ||
		(s.state == streamClosing && s.closed.pending())
}

// hold registers an event-loop callback when the stream needs one and has
// none. The callback belongs to the running iteration: when the iteration
// ends first, it is released (see run).
func (s *wsStream) hold() {
	if s.holding || !s.needsLoop() {
		return
	}
	s.holding = true
	s.holdCtx = s.m.vu.Context()
	enqueue := s.m.vu.RegisterCallback()
	s.unwatch = context.AfterFunc(s.holdCtx, s.wake)
	s.mu.Lock()
	woken := s.woken
	s.woken = false
	if !woken {
		s.enqueue = enqueue
	}
	s.mu.Unlock()
	if woken {
		enqueue(s.run)
	}
}

// run is the stream's event-loop callback. When the iteration that
// registered it is over, the promises of that iteration are abandoned
// (nothing of them can run any more) without touching the connection or the
// messages, which wait for the next iteration.
func (s *wsStream) run() error {
	s.holding = false
	s.unwatch()
	if s.holdCtx.Err() != nil {
		s.abandon()
		return nil
	}
	s.pull()
	s.hold()
	return nil
}

// abandon forgets the read(), write(), ready and writer.close() promises
// of an iteration that is over. Writes still go out, and are counted when
// they do; a writer.close() still closes once they are out.
func (s *wsStream) abandon() {
	s.reads = nil
	for _, w := range s.waiting {
		w.p = promise{}
	}
	s.ready = nil
	if s.closeOnDrain != nil {
		*s.closeOnDrain = promise{} // the close itself still happens
	}
}

// pull takes in what the dial, the send goroutine and the connection have
// to report, and settles the promises that it decides.
func (s *wsStream) pull() {
	s.takeDial()
	s.settleWrites()
	s.deliver()
}

// takeDial handles the end of the opening handshake.
func (s *wsStream) takeDial() {
	if s.conn != nil || s.ended {
		return
	}
	s.mu.Lock()
	res := s.dialed
	s.dialed = nil
	s.mu.Unlock()
	if res == nil {
		return
	}
	hs := res.hs
	connmetrics.HandshakeEnded(s.session, hs)
	connmetrics.Tagged(s.requests, s.session)
	if res.err != nil {
		msg := fmt.Sprintf("WebSocketStream: connecting to %s failed: %s", s.url, res.err)
		if s.abandoned {
			msg = "WebSocketStream: closed before the connection was established"
		}
		wsErr := s.m.webSocketError(msg, int(conn.CloseAbnormal), "")
		s.finish(wsErr, time.Now())
		s.opened.settle(wsErr, true)
		return
	}
	s.conn = res.conn
	s.protocol = hs.Subprotocol
	s.extensions = strings.Join(hs.Extensions, ", ")
	if s.abandoned {
		// The dial's context is cancelled: the connection is going down
		// and its close event settles closed.
		s.opened.settle(s.m.webSocketError("WebSocketStream: closed before the connection was established",
			int(conn.CloseAbnormal), ""), true)
		return
	}
	s.state = streamOpen
	s.readable = s.m.newReadable(s)
	s.writable = s.m.newWritable(s)
	info := s.m.rt.NewObject()
	for k, v := range map[string]any{
		"readable": s.readable, "writable": s.writable, "protocol": s.protocol, "extensions": s.extensions,
	} {
		_ = info.Set(k, v)
	}
	s.opened.settle(info, false)
}

// deliver gives messages to waiting reads, taking more from the connection
// only when every message taken before is read: the connection's bounded
// queue is what holds the rest, so a script that reads slowly slows the
// peer down instead of growing memory.
func (s *wsStream) deliver() {
	if s.cancelled {
		reads := s.reads
		s.reads = nil
		for _, read := range reads {
			read.settle(s.m.readResult(sobek.Undefined(), true), false)
		}
	}
	for s.conn != nil {
		for len(s.reads) > 0 && s.next < len(s.msgs) {
			ev := s.msgs[s.next]
			s.msgs[s.next] = conn.Event{}
			s.next++
			read := s.reads[0]
			s.reads = s.reads[1:]
			connmetrics.Received(s.session, &ev)
			read.settle(s.m.readResult(s.messageValue(&ev), false), false)
		}
		if s.ended || (s.next < len(s.msgs) && s.state != streamClosing) {
			break
		}
		if !s.refill() {
			break
		}
	}
	if s.ended && s.next >= len(s.msgs) {
		reads := s.reads
		s.reads = nil
		for _, read := range reads {
			if s.endErr != nil {
				read.settle(s.endErr, true)
			} else {
				read.settle(s.m.readResult(sobek.Undefined(), true), false)
			}
		}
	}
}

// refill takes what the connection has queued: data messages are kept for
// reads, other events are handled now. While closing it appends, so that the
// close event is seen even when the script reads nothing more. It tells
// whether anything came.
func (s *wsStream) refill() bool {
	var events []conn.Event
	if s.next >= len(s.msgs) {
		events = s.conn.Events(s.msgs)
		s.msgs, s.next = events[:0], 0
	} else {
		events = s.conn.Events(nil)
	}
	connmetrics.AutoReplied(s.session, s.conn)
	if len(events) == 0 {
		return false
	}
	var closing *conn.Event
	for i := range events {
		ev := events[i]
		switch ev.Kind {
		case conn.Text, conn.Binary:
			if !s.cancelled {
				s.msgs = append(s.msgs, ev)
			}
		case conn.Pong:
			connmetrics.Received(s.session, &ev)
		case conn.Error:
			s.fault = ev.Err
		case conn.Close:
			closing = &ev
		default:
		}
	}
	if closing != nil {
		s.closedEvent(closing)
	}
	return true
}

// closedEvent handles the connection's last event: the session ends and
// closed settles. The connection queues it as its last goroutine returns,
// so waiting for Done here is immediate.
func (s *wsStream) closedEvent(ev *conn.Event) {
	<-s.conn.Done()
	code, reason := int(ev.Code), ev.Reason
	if ev.Clean && !s.abandoned {
		s.finish(nil, time.Now())
		info := s.m.rt.NewObject()
		_ = info.Set("closeCode", code)
		_ = info.Set("reason", reason)
		s.closed.settle(info, false)
		return
	}
	msg := "WebSocketStream: the connection was closed abnormally (code " + fmt.Sprint(code) + ")"
	switch {
	case s.abandoned:
		msg = "WebSocketStream: closed before the connection was established"
	case s.fault != nil:
		msg = "WebSocketStream: " + s.fault.Error()
	}
	s.finish(s.m.webSocketError(msg, code, reason), time.Now())
}

// finish ends the stream: its session's metrics are emitted, closed is
// rejected with wsErr unless it is nil, and reads get wsErr (or done) once
// the messages taken are read.
func (s *wsStream) finish(wsErr *sobek.Object, at time.Time) {
	s.state = streamClosed
	s.ended = true
	s.endErr = wsErr
	s.stop()
	s.session.End(at)
	s.life.remove(s)
	if wsErr != nil {
		s.closed.settle(wsErr, true)
	}
	if s.ready != nil {
		s.ready.settle(sobek.Undefined(), false)
		s.ready = nil
	}
}

// startClose starts the closing handshake with code and reason, or gives up
// the dial while connecting.
func (s *wsStream) startClose(code conn.StatusCode, reason string) {
	switch s.state {
	case streamConnecting:
		s.state = streamClosing
		s.abandoned = true
		s.stop()
	case streamOpen:
		s.state = streamClosing
		s.conn.Close(code, reason)
	case streamClosing, streamClosed:
	}
	s.hold()
}

// messageValue converts a message to what read() gives: a string for
// text, a Uint8Array for binary (as Chrome and Deno do).
func (s *wsStream) messageValue(ev *conn.Event) sobek.Value {
	if ev.Kind == conn.Text {
		return s.m.rt.ToValue(ev.DataString())
	}
	return s.m.uint8Array(ev.Data)
}

// readResult returns a read() result: { value, done }.
func (m *module) readResult(value sobek.Value, done bool) *sobek.Object {
	result := m.rt.NewObject()
	_ = result.Set("value", value)
	_ = result.Set("done", done)
	return result
}

// closeArgs reads close({ closeCode, reason }): as the standard says, the
// code is 1000 or 3000-4999, absent means none (1000 when a reason is
// given), and the reason is at most 123 bytes of UTF-8.
func (m *module) closeArgs(v sobek.Value, what string) (conn.StatusCode, string) {
	code, reason := conn.CloseNoStatus, ""
	if common.IsNullish(v) {
		return code, reason
	}
	obj, ok := v.(*sobek.Object)
	if !ok {
		jsval.Throwf(m.rt, jsval.TypeError, "%s: the argument must be an object { closeCode, reason }, got %s",
			what, jsval.Describe(v))
	}
	if r := obj.Get("reason"); !common.IsNullish(r) {
		reason = r.String()
		code = conn.CloseNormal
		if len(reason) > conn.MaxCloseReason {
			jsval.Throwf(m.rt, jsval.SyntaxError, "%s: reason must be at most %d bytes of UTF-8, got %d",
				what, conn.MaxCloseReason, len(reason))
		}
		if !utf8.ValidString(reason) {
			reason = strings.ToValidUTF8(reason, "\uFFFD")
		}
	}
	if c := obj.Get("closeCode"); !common.IsNullish(c) {
		n, err := closeCode(c)
		if err != nil {
			jsval.Throwf(m.rt, jsval.InvalidAccessError, "%s: closeCode must be 1000 or between 3000 and 4999, got %s",
				what, c.String())
		}
		code = n
	}
	return code, reason
}

// closeReason reads the reason given to cancel() or abort(): a
// WebSocketError's code and reason close the connection with them; anything
// else closes it without a code.
func (m *module) closeReason(v sobek.Value) (conn.StatusCode, string) {
	obj, ok := v.(*sobek.Object)
	if !ok || !inherits(obj, m.wsErrProto) {
		return conn.CloseNoStatus, ""
	}
	code, reason := conn.CloseNoStatus, ""
	if c := obj.Get("closeCode"); !common.IsNullish(c) {
		if n, err := closeCode(c); err == nil {
			code = n
		}
	}
	if r := obj.Get("reason"); !common.IsNullish(r) && len(r.String()) <= conn.MaxCloseReason {
		reason = r.String()
		if code == conn.CloseNoStatus {
			code = conn.CloseNormal
		}
	}
	return code, reason
}
