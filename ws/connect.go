package ws

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/sobek"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/internal/errcode"
	"github.com/loadkit/xk6-ws/internal/params"
	"github.com/loadkit/xk6-ws/internal/vuctx"
	"github.com/loadkit/xk6-ws/internal/wstrace"
	"github.com/loadkit/xk6-ws/metrics"
)

// run dials ca.url, runs the socket until it has closed and returns the
// response object of ws.connect.
func (mi *moduleInstance) run(ca connectArgs, p params.Params) (sobek.Value, error) {
	vu := mi.vu
	state := vu.State()
	rt := vu.Runtime()
	ctx := vu.Context()
	tags := p.Tags
	tags.SetSystemTagOrMetaIfEnabled(state.Options.SystemTags, k6metrics.TagURL, ca.url)

	requests, err := connmetrics.Correlate(ctx, state.Samples, mi.extra,
		p.Correlate, tags, &p.Options)
	if err != nil {
		return nil, fmt.Errorf("ws.connect: %w", err)
	}
	w := mi.takeWaker()
	target := conn.Target{URL: ca.url, Dialer: state.Dialer, TLSConfig: state.TLSConfig}
	dialCtx, trace := wstrace.StartHandshake(ctx, mi.extra.Trace, state.Logger, ca.url)
	p.Options.Tracer = wstrace.Frames(mi.extra.Trace, state.Logger, ca.url)
	c, hs, err := conn.Dial(dialCtx, target, p.Options, w.notify)
	trace.End(hs, err)
	defer mi.putWaker(w, c)

	start := hs.Start
	if start.IsZero() {
		start = time.Now()
	}
	sess := metrics.NewSession(ctx, state.Samples, state.BuiltinMetrics, state.Options.SystemTags, tags, start)
	sess.CountFailures(mi.extra.Failures)
	counts := connmetrics.HandshakeEnded(sess, hs, err)
	connmetrics.Tagged(requests, sess)
	defer func() { sess.End(time.Now()) }()

	if !counts {
		// The VU's context ended during the handshake or before it: the
		// iteration is over. Return once its context is done, so that k6
		// does not count it as complete and start another.
		if c != nil {
			c.Abort(conn.CloseGoingAway)
			waitGone(c, state.Logger)
			err = fmt.Errorf("websocket handshake interrupted: %w", errInterrupted)
		}
		vuctx.AwaitDone(ctx)
	}
	if err != nil {
		if state.Options.Throw.Bool {
			return nil, fmt.Errorf("ws.connect: %w", err)
		}
		return newResponse(rt, ca.url, hs, err), nil
	}
	s := newSocket(vu, c, sess, w.wake)
	s.obj = vu.Runtime().CreateObject(mi.socketPrototype())
	mi.sockets[s.obj] = s
	defer delete(mi.sockets, s.obj)
	if err := s.run(ca.setup); err != nil {
		return nil, err
	}
	return newResponse(rt, ca.url, hs, nil), nil
}

// waker is how a connection wakes its socket's loop: notify, called by the
// connection whenever it queued events after a drain, puts a token in wake
// unless one is there already.
type waker struct {
	wake   chan struct{}
	notify func()
}

func newWaker() *waker {
	wake := make(chan struct{}, 1)
	return &waker{wake: wake, notify: func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}}
}

// takeWaker returns the VU's spare waker, or a new one while the spare is in
// use by an open socket (ws.connect called from a handler of another). A
// token left over from the waker's last connection is dropped.
func (mi *moduleInstance) takeWaker() *waker {
	w := mi.spareWaker
	if w == nil {
		return newWaker()
	}
	mi.spareWaker = nil
	select {
	case <-w.wake:
	default:
	}
	return w
}

// putWaker keeps w as the VU's spare once c, the connection it woke, is
// gone or was never opened. A gone connection may still call notify once,
// as its reader returns: the next socket then drains an empty queue, which
// changes nothing.
func (mi *moduleInstance) putWaker(w *waker, c *conn.Conn) {
	if c != nil {
		select {
		case <-c.Done():
		default:
			return // not torn down in time: w stays with c
		}
	}
	if mi.spareWaker == nil {
		mi.spareWaker = w
	}
}

// newResponse builds the object ws.connect returns: url, status, headers
// (values of a repeated header joined with ", "), body, error and
// error_code, the k6 error code of a failed handshake (0 when it opened).
func newResponse(rt *sobek.Runtime, url string, hs conn.Handshake, err error) *sobek.Object {
	headers := rt.NewObject()
	var room [8]string // a handshake's response has a handful of headers
	names := room[:0]
	for name := range hs.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		_ = headers.Set(name, strings.Join(hs.Header[name], ", "))
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	res := rt.NewObject()
	_ = res.Set("url", url)
	_ = res.Set("status", hs.Status)
	_ = res.Set("headers", headers)
	_ = res.Set("body", string(hs.Body))
	_ = res.Set("error", msg)
	_ = res.Set("error_code", int(errcode.Of(err, hs.Status)))
	return res
}
