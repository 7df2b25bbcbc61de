package websockets

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/lib"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/internal/jsval"
	"github.com/loadkit/xk6-ws/internal/params"
	"github.com/loadkit/xk6-ws/internal/wstrace"
	"github.com/loadkit/xk6-ws/metrics"
	"github.com/loadkit/xk6-ws/websockets/internal/domevent"
)

// readyState is the WHATWG readyState of a WebSocket.
type readyState int

// The ready states, with the values scripts see.
const (
	connecting readyState = iota
	open
	closing
	closed
)

// The values of binaryType.
const (
	binaryBlob        = "blob"
	binaryArrayBuffer = "arraybuffer"
)

// socket is the Go side of one WebSocket object. Every field above mu
// belongs to the VU's goroutine (the event loop); the fields under mu are
// shared with the dial and connection goroutines.
type socket struct {
	m       *module
	obj     *sobek.Object
	url     string
	ctx     context.Context    //nolint:containedctx // the VU's context of the iteration that created the socket
	stop    context.CancelFunc // gives up the dial; dialOver once the dial is over
	session *metrics.Session
	// requests records the outcomes of params.correlate; nil without it.
	requests *metrics.Requests
	events   *domevent.Builder

	state      readyState
	binaryType string
	protocol   string
	extensions []string
	listeners  listeners

	conn *conn.Conn
	buf  []conn.Event
	// abandoned is set by close() while connecting: the connection is failed
	// as soon as the dial is over.
	abandoned bool
	// failed is set when a listener threw: no listener runs any more.
	failed bool
	// overflow is set when send() found the write queue full: why the
	// socket failed, for the error event that precedes its close event.
	overflow error
	// discarded counts the bytes that send() took and dropped, which
	// bufferedAmount includes.
	discarded int64
	// finished is set once the close event was dispatched (or skipped).
	finished bool

	mu      sync.Mutex
	enqueue func(func() error) // the registered event-loop callback, nil while in use
	pending bool               // a wake-up came while enqueue was in use
	dialed  *dialResult        // the dial's outcome, until the event loop takes it
}

// dialResult is what conn.Dial returned.
type dialResult struct {
	conn *conn.Conn
	hs   conn.Handshake
	err  error
}

// newWebSocket is the WebSocket constructor: new WebSocket(url, protocols, params).
func (m *module) newWebSocket(call sobek.ConstructorCall) *sobek.Object {
	if !inherits(call.This, m.wsProto) {
		jsval.Throwf(m.rt, jsval.TypeError, "Failed to construct 'WebSocket': please use the 'new' operator")
	}
	if m.err != nil {
		common.Throw(m.rt, m.err)
	}
	state := m.vu.State()
	if state == nil {
		common.Throw(m.rt, jsval.ErrInitContext)
	}
	u, p, err := parseArguments(m.rt, state, call)
	if err != nil {
		jsval.Throw(m.rt, err)
	}
	urlTags(&p.Tags, state.Options.SystemTags, u)

	if m.events == nil {
		m.events = domevent.NewBuilder(m.rt, nil)
	}
	ctx, stop := context.WithCancel(m.vu.Context())
	s := &socket{
		m:          m,
		obj:        call.This,
		url:        u,
		ctx:        m.vu.Context(),
		stop:       stop,
		events:     m.events.For(call.This),
		binaryType: binaryBlob,
		session: metrics.NewSession(m.vu.Context(), state.Samples, state.BuiltinMetrics,
			state.Options.SystemTags, p.Tags, time.Now()),
	}
	s.session.CountFailures(m.extra.Failures)
	s.requests, err = connmetrics.Correlate(m.vu.Context(), state.Samples, m.extra,
		p.Correlate, p.Tags, &p.Options)
	if err != nil {
		stop()
		jsval.Throw(m.rt, jsval.Errorf(jsval.TypeError, "WebSocket: %w", err))
	}
	if err := attach(m.rt, call.This, m.socketKey, s); err != nil {
		stop()
		common.Throw(m.rt, err)
	}
	s.enqueue = m.vu.RegisterCallback()
	target := conn.Target{URL: u, Dialer: state.Dialer, TLSConfig: state.TLSConfig}
	dialCtx, trace := wstrace.StartHandshake(ctx, m.extra.Trace, state.Logger, u)
	p.Options.Tracer = wstrace.Frames(m.extra.Trace, state.Logger, u)
	go s.dial(dialCtx, target, p.Options, trace)
	return nil
}

// parseArguments checks the constructor's url, protocols and params: a bad
// url or protocol is a SyntaxError, as the standard says, and bad params
// are a TypeError, as WebIDL says of a dictionary it cannot convert.
func parseArguments(rt *sobek.Runtime, state *lib.State, call sobek.ConstructorCall) (string, params.Params, error) {
	u, err := parseURL(call.Argument(0))
	if err != nil {
		return "", params.Params{}, err
	}
	protocols, err := params.Subprotocols(rt, call.Argument(1), "WebSocket: protocols")
	if err != nil {
		return "", params.Params{}, jsval.Errorf(jsval.SyntaxError, "invalid protocols argument: %w", err)
	}
	p, err := params.Parse(rt, state, call.Argument(2), params.Rules{Name: "WebSocket", Strict: true})
	if err != nil {
		return "", params.Params{}, jsval.Errorf(jsval.TypeError, "invalid params argument: %w", err)
	}
	p.Options.Subprotocols = protocols
	return u, p, nil
}

// parseURL checks the url argument as the standard does: an absolute URL
// with a host and no fragment, whose scheme is ws or wss, or http or https,
// which become ws and wss.
func parseURL(v sobek.Value) (string, error) {
	if common.IsNullish(v) {
		return "", jsval.Errorf(jsval.TypeError, "WebSocket: url is required, got %s", jsval.Describe(v))
	}
	raw := v.String()
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL: name its cause only.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "", jsval.Errorf(jsval.SyntaxError, "WebSocket: url %s is not a valid URL: %w", jsval.Quote(raw), err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", jsval.Errorf(jsval.SyntaxError,
			"WebSocket: url %s must use the ws, wss, http or https scheme, got %s", jsval.Quote(raw), jsval.Quote(u.Scheme))
	}
	switch {
	case u.Host == "":
		return "", jsval.Errorf(jsval.SyntaxError, "WebSocket: url %s has no host", jsval.Quote(raw))
	case strings.Contains(raw, "#"):
		return "", jsval.Errorf(jsval.SyntaxError, "WebSocket: url %s must not have a fragment (#...)", jsval.Quote(raw))
	}
	return u.String(), nil
}

// urlTags sets the url and name tags as k6 does: a name the script set is
// used for both, otherwise both are the URL.
func urlTags(tags *k6metrics.TagsAndMeta, enabled *k6metrics.SystemTagSet, u string) {
	if name, ok := tags.Tags.Get(k6metrics.TagName.String()); ok {
		tags.SetSystemTagOrMetaIfEnabled(enabled, k6metrics.TagURL, name)
		return
	}
	tags.SetSystemTagOrMetaIfEnabled(enabled, k6metrics.TagURL, u)
	tags.SetSystemTagOrMetaIfEnabled(enabled, k6metrics.TagName, u)
}

// dial runs in its own goroutine: it opens the connection, which lives
// until it closes or the VU's context ends, and hands the outcome to the
// event loop. Cancelling ctx gives up the handshake. trace, when not nil,
// logs the handshake.
func (s *socket) dial(ctx context.Context, target conn.Target, opts conn.Options, trace *wstrace.Handshake) {
	c, hs, err := conn.DialAbandonable(s.ctx, ctx, target, opts, s.wake)
	trace.End(hs, err)
	s.mu.Lock()
	s.dialed = &dialResult{conn: c, hs: hs, err: err}
	s.mu.Unlock()
	s.wake()
}

// socketOf returns the socket behind this, or throws when this is not a
// WebSocket.
func (m *module) socketOf(this sobek.Value, what string) *socket {
	if s, ok := native[*socket](this, m.socketKey); ok {
		return s
	}
	jsval.Throwf(m.rt, jsval.TypeError, "WebSocket.%s called on %s, which is not a WebSocket", what, jsval.Describe(this))
	return nil
}

// native returns the Go value that attach stored on v under key.
func native[T any](v sobek.Value, key *sobek.Symbol) (T, bool) {
	var zero T
	obj, ok := v.(*sobek.Object)
	if !ok {
		return zero, false
	}
	held := obj.GetSymbol(key)
	if held == nil {
		return zero, false
	}
	t, ok := held.Export().(T)
	return t, ok
}
