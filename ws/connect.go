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
	"github.com/loadkit/xk6-ws/internal/params"
	"github.com/loadkit/xk6-ws/internal/vuctx"
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

	wake := make(chan struct{}, 1)
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	target := conn.Target{URL: ca.url, Dialer: state.Dialer, TLSConfig: state.TLSConfig}
	c, hs, err := conn.Dial(ctx, target, p.Options, notify)

	start := hs.Start
	if start.IsZero() {
		start = time.Now()
	}
	sess := metrics.NewSession(ctx, state.Samples, state.BuiltinMetrics, state.Options.SystemTags, tags, start)
	counts := connmetrics.HandshakeEnded(sess, hs)
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
	s := newSocket(vu, c, sess, wake)
	s.obj = vu.Runtime().CreateObject(mi.socketPrototype())
	mi.sockets[s.obj] = s
	defer delete(mi.sockets, s.obj)
	if err := s.run(ca.setup); err != nil {
		return nil, err
	}
	return newResponse(rt, ca.url, hs, nil), nil
}

// newResponse builds the object ws.connect returns: url, status, headers
// (values of a repeated header joined with ", "), body and error.
func newResponse(rt *sobek.Runtime, url string, hs conn.Handshake, err error) *sobek.Object {
	headers := rt.NewObject()
	names := make([]string, 0, len(hs.Header))
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
	return res
}
