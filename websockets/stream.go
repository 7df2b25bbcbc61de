package websockets

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/internal/errcode"
	"github.com/loadkit/xk6-ws/internal/jsval"
	"github.com/loadkit/xk6-ws/internal/params"
	"github.com/loadkit/xk6-ws/internal/wstrace"
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
// whole life. It follows k6's rule for asynchronous work (as timers do): an
// operation the script started holds the iteration until it settles (opened
// while connecting, a read() without a message to give, a write() not yet
// queued for the wire, close() until the closing handshake ends), and closed
// holds it once the script waits on it (see waitable). In between, what the
// connection reports waits in its bounded queue, so the stream can be kept in
// module scope and used by the next iterations of the VU.
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
	// closedWaited is set once the script waits on closed in the running
	// iteration: closed then holds the iteration until it settles.
	closedWaited bool
	readable     *sobek.Object
	writable     *sobek.Object

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
	// unreadCounted is set once the messages left unread at the end of the
	// session were counted in ws_msgs_received: reads count no more.
	unreadCounted bool

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

// rejectedHandled returns a promise already rejected with reason and marked
// as handled, as the Streams standard does for writer.ready.
func (m *module) rejectedHandled(reason any) sobek.Value {
	p := m.handledPromise()
	_ = p.reject(reason)
	return m.rt.ToValue(p.p)
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
		var named *jsval.Error
		if errors.As(err, &named) {
			jsval.Throwf(m.rt, named.Name, "WebSocketStream: %s", strings.TrimPrefix(named.Message, "WebSocket: "))
		}
		common.Throw(m.rt, fmt.Errorf("WebSocketStream: %w", err))
	}
	p, err := m.streamOptions(call.Argument(1))
	if err != nil {
		jsval.Throw(m.rt, err)
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
	s.session.CountFailures(m.extra.Failures)
	s.requests, err = connmetrics.Correlate(life.ctx, state.Samples, m.extra,
		p.Correlate, p.Tags, &p.Options)
	if err != nil {
		stop()
		jsval.Throw(m.rt, jsval.Errorf(jsval.TypeError, "WebSocketStream: %w", err))
	}
	if err := attach(m.rt, call.This, m.wssKey, s); err != nil {
		stop()
		common.Throw(m.rt, err)
	}
	if err := m.waitable(s.closed.p, s.waitOnClosed); err != nil {
		stop()
		common.Throw(m.rt, err)
	}
	if !life.add(s) {
		stop()
		common.Throw(m.rt, errors.New("WebSocketStream: the VU is stopping"))
	}
	target := conn.Target{URL: u, Dialer: state.Dialer, TLSConfig: state.TLSConfig}
	life.wg.Add(1)
	dialCtx, trace := wstrace.StartHandshake(s.ctx, m.extra.Trace, state.Logger, u)
	p.Options.Tracer = wstrace.Frames(m.extra.Trace, state.Logger, u)
	go s.dial(dialCtx, target, p.Options, trace)
	s.hold()
	return nil
}

// streamWriteQueueBytes is the default writeQueueBytes of a stream: what
// its connection queues for the wire before write() waits. It bounds what an
// awaited write() leaves in memory (the WebSocket class keeps the default of
// internal/conn: its send() cannot wait).
const streamWriteQueueBytes = 1 << 20

// streamOptions checks the options argument: protocols and signal, and
// every param of the WebSocket class.
func (m *module) streamOptions(v sobek.Value) (params.Params, error) {
	const what = "WebSocketStream"
	rest := sobek.Undefined()
	var protocols []string
	if !common.IsNullish(v) {
		obj, ok := v.(*sobek.Object)
		if !ok {
			return params.Params{}, jsval.Errorf(jsval.TypeError, "%s: options must be an object, got %s",
				what, jsval.Describe(v))
		}
		copied := m.rt.NewObject()
		for _, key := range obj.Keys() {
			val := obj.Get(key)
			switch key {
			case "protocols":
				var err error
				if protocols, err = m.streamProtocols(val); err != nil {
					return params.Params{}, err
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
		return params.Params{}, fmt.Errorf("%w; a stream takes protocols too", err)
	}
	p.Options.Subprotocols = protocols
	if p.Options.WriteQueueBytes == 0 {
		p.Options.WriteQueueBytes = streamWriteQueueBytes
	}
	return p, nil
}

// streamProtocols checks options.protocols as WebIDL and the standard do: a
// sequence (an array) of strings, else a TypeError; names that are not
// HTTP tokens, or given twice, are a SyntaxError.
func (m *module) streamProtocols(v sobek.Value) ([]string, error) {
	const what = "WebSocketStream: options.protocols"
	if common.IsNullish(v) {
		return nil, nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok || !jsval.IsArray(m.rt, obj) {
		return nil, jsval.Errorf(jsval.TypeError, "%s must be an array of strings, got %s", what, jsval.Describe(v))
	}
	for i := range obj.Get("length").ToInteger() {
		item := obj.Get(strconv.FormatInt(i, 10))
		if _, isObject := item.(*sobek.Object); isObject || !isPrimitiveString(item) {
			return nil, jsval.Errorf(jsval.TypeError, "%s[%d] must be a string, got %s", what, i, jsval.Describe(item))
		}
	}
	protocols, err := params.Subprotocols(m.rt, v, what)
	if err != nil {
		return nil, jsval.Errorf(jsval.SyntaxError, "%w", err)
	}
	return protocols, nil
}

// isPrimitiveString tells whether v is a string, not a String object.
func isPrimitiveString(v sobek.Value) bool {
	_, ok := v.Export().(string)
	return ok
}

// waitable makes p tell when the script waits on it: p gets a then of its
// own, which calls onWait before Promise.prototype.then, and its constructor
// reads undefined. await and Promise.resolve hand a promise whose constructor
// is %Promise% straight to PerformPromiseThen; for any other they call its
// then (sobek follows the standard there), as catch and finally always do.
func (m *module) waitable(p *sobek.Promise, onWait func()) error {
	obj := m.rt.ToValue(p).ToObject(m.rt)
	then, ok := sobek.AssertFunction(obj.Get("then"))
	if !ok {
		return errors.New("websockets: Promise.prototype.then is not a function")
	}
	own := m.rt.ToValue(func(c sobek.FunctionCall) sobek.Value {
		onWait()
		v, err := then(c.This, c.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	})
	if err := obj.DefineDataProperty("then", own, sobek.FLAG_TRUE, sobek.FLAG_FALSE, sobek.FLAG_TRUE); err != nil {
		return fmt.Errorf("websockets: making closed tell when it is awaited: %w", err)
	}
	if err := obj.DefineDataProperty("constructor", sobek.Undefined(),
		sobek.FLAG_TRUE, sobek.FLAG_FALSE, sobek.FLAG_TRUE); err != nil {
		return fmt.Errorf("websockets: making closed tell when it is awaited: %w", err)
	}
	return nil
}

// waitOnClosed runs when the script waits on closed: closed holds the
// iteration until it settles.
func (s *wsStream) waitOnClosed() {
	if !s.closed.pending() {
		return
	}
	s.closedWaited = true
	s.enter()
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
// outcome to the event loop. ctx is the stream's, with the handshake's
// trace, if any: trace, when not nil, logs the handshake.
func (s *wsStream) dial(ctx context.Context, target conn.Target, opts conn.Options, trace *wstrace.Handshake) {
	defer s.life.wg.Done()
	c, hs, err := conn.Dial(ctx, target, opts, s.wake)
	trace.End(hs, err)
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

// needsLoop tells whether the stream holds the iteration: an operation the
// script started has not settled (the opening or closing handshake, a read,
// a write, writer.close()), or the script waits on closed.
func (s *wsStream) needsLoop() bool {
	return s.state == streamConnecting || s.state == streamClosing || len(s.reads) > 0 ||
		len(s.waiting) > 0 || s.closeOnDrain != nil || (s.closedWaited && s.closed.pending())
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
	s.closedWaited = false
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
	s.deliver()
	s.settleWrites()
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
	connmetrics.HandshakeEnded(s.session, hs, res.err)
	connmetrics.Tagged(s.requests, s.session)
	if res.err != nil {
		msg := fmt.Sprintf("WebSocketStream: connecting to %s failed: %s", s.url, res.err)
		if s.abandoned {
			msg = "WebSocketStream: closed before the connection was established"
		}
		wsErr := s.m.webSocketError(msg, int(conn.CloseAbnormal), "")
		s.m.setHandshakeFields(wsErr, int(errcode.Of(res.err, hs.Status)), hs.Status)
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
	for _, f := range []struct {
		key string
		v   any
	}{{"readable", s.readable}, {"writable", s.writable}, {"extensions", s.extensions}, {"protocol", s.protocol}} {
		_ = info.Set(f.key, f.v)
	}
	s.opened.settle(info, false)
}

// gone tells whether the connection is gone: its close event is queued.
func (s *wsStream) gone() bool {
	select {
	case <-s.conn.Done():
		return true
	default:
		return false
	}
}

// deliver gives messages to waiting reads, taking more from the connection
// only when every message taken before is read, or when the connection is
// gone (what it queued is then all there is, and closed settles at once): the
// connection's bounded queue is what holds the rest, so a script that reads
// slowly slows the peer down instead of growing memory.
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
			if !s.unreadCounted {
				connmetrics.Received(s.session, &ev)
			}
			read.settle(s.m.readResult(s.messageValue(&ev), false), false)
		}
		if s.ended || (s.next < len(s.msgs) && s.state != streamClosing && !s.gone()) {
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
	connmetrics.Closed(s.session, ev)
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
// the messages taken are read. The messages not read yet are all the
// session received: they count in ws_msgs_received now, as the session's
// last samples go out.
func (s *wsStream) finish(wsErr *sobek.Object, at time.Time) {
	s.state = streamClosed
	s.ended = true
	s.endErr = wsErr
	s.stop()
	if unread := len(s.msgs) - s.next; unread > 0 {
		s.session.MessagesReceived(unread, at)
	}
	s.unreadCounted = true
	s.session.End(at)
	s.life.remove(s)
	if wsErr != nil {
		s.closed.settle(wsErr, true)
	}
	if s.ready != nil {
		s.ready.settle(s.writableError(), true)
		s.ready = nil
	}
}

// writableError is what the writable is errored with once the stream is
// not open: the WebSocketError that closed rejected with after an abrupt
// close, an InvalidStateError otherwise.
func (s *wsStream) writableError() *sobek.Object {
	if s.endErr != nil {
		return s.endErr
	}
	return jsval.ErrorObject(s.m.rt, jsval.InvalidStateError,
		"WebSocketStream: the stream is "+s.stateName()+", the message was not sent")
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
	hasCode := false
	if c := obj.Get("closeCode"); !common.IsNullish(c) {
		n, err := closeCode(c)
		if err != nil {
			jsval.Throwf(m.rt, jsval.InvalidAccessError, "%s: closeCode must be 1000 or between 3000 and 4999, got %s",
				what, c.String())
		}
		code, hasCode = n, true
	}
	if r := obj.Get("reason"); !common.IsNullish(r) {
		reason = r.String()
		if len(reason) > conn.MaxCloseReason {
			jsval.Throwf(m.rt, jsval.SyntaxError, "%s: reason must be at most %d bytes of UTF-8, got %d",
				what, conn.MaxCloseReason, len(reason))
		}
		if !utf8.ValidString(reason) {
			reason = strings.ToValidUTF8(reason, "\uFFFD")
		}
	}
	if !hasCode && reason != "" {
		code = conn.CloseNormal
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
