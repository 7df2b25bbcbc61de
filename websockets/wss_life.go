package websockets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.k6.io/k6/js/modules"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/metrics"
)

// k6's global event types, from go.k6.io/k6/internal/event: k6 hands
// extensions a subscriber (modules.VU.Events) but keeps the package of its
// Type internal, so the two values are spelled here.
const (
	k6EventTestEnd = 3 // the test run is over (after teardown, before the outputs stop)
	k6EventExit    = 6 // the k6 process is about to exit
)

// errTestEnded is why the streams still open at the end of the test close.
var errTestEnded = errors.New("the test run ended")

// streamLives gives a VU its streams' lifetime, starting a new one when the
// VU comes back after its last lifetime was stopped.
type streamLives struct {
	life *streamLife
}

// begin returns the VU's current lifetime and watches the running
// iteration. It runs on the event loop.
func (l *streamLives) begin(vu modules.VU) *streamLife {
	if l.life == nil || l.life.ctx.Err() != nil {
		life := newStreamLife()
		if sub := vu.Events().Global; sub != nil {
			id, events := sub.Subscribe(k6EventTestEnd, k6EventExit)
			go func() {
				ev, ok := <-events
				life.stopAll(errTestEnded)
				if ok && ev.Done != nil {
					ev.Done()
				}
				sub.Unsubscribe(id)
			}()
		}
		l.life = life
	}
	l.life.watch(vu.Context())
	return l.life
}

// streamLife is the lifetime of a VU's WebSocketStreams. It outlasts
// iterations: k6 gives modules a context per iteration (modules.VU.Context
// is cancelled when each iteration returns), so the streams are dialled with
// this one instead. It ends when the VU stops:
//   - when an iteration is cut short by the end of the VU's scenario
//     (duration and gracefulStop), exec.test.abort() or an interrupt signal:
//     the iteration's context is then cancelled with a cause other than the
//     plain cancellation k6 uses when an iteration returns;
//   - in any case at k6's TestEnd event, which comes after teardown and
//     before the outputs stop: every stream still open is torn down with
//     1001 and its ws_session_duration emitted before the event is
//     acknowledged.
type streamLife struct {
	ctx    context.Context //nolint:containedctx // the lifetime itself
	cancel context.CancelCauseFunc
	// wg counts the streams' dial and send goroutines.
	wg sync.WaitGroup
	// watched is the iteration context watched last (event loop only).
	watched context.Context //nolint:containedctx // compared, never used

	mu      sync.Mutex
	streams map[*wsStream]struct{} // streams whose session has not ended
	stopped bool
}

// newStreamLife starts a lifetime.
func newStreamLife() *streamLife {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &streamLife{ctx: ctx, cancel: cancel, streams: make(map[*wsStream]struct{})}
}

// watch stops the lifetime when the iteration of ctx is cut short rather
// than returning.
func (l *streamLife) watch(ctx context.Context) {
	if l.watched == ctx {
		return
	}
	l.watched = ctx
	context.AfterFunc(ctx, func() {
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			l.cancel(fmt.Errorf("the VU stopped: %w", cause))
		}
	})
}

// add records an open stream; it fails once the lifetime is over.
func (l *streamLife) add(s *wsStream) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || l.ctx.Err() != nil {
		return false
	}
	l.streams[s] = struct{}{}
	return true
}

// remove forgets a stream whose session has ended.
func (l *streamLife) remove(s *wsStream) {
	l.mu.Lock()
	delete(l.streams, s)
	l.mu.Unlock()
}

// stopAll ends the lifetime: every connection is torn down with 1001 (the
// connections watch the context), and once every goroutine of the streams
// has returned, the sessions still open are ended. It runs when no
// iteration of the VU runs any more.
func (l *streamLife) stopAll(cause error) {
	l.cancel(cause)
	l.wg.Wait()
	l.mu.Lock()
	l.stopped = true
	open := make([]*wsStream, 0, len(l.streams))
	for s := range l.streams {
		open = append(open, s)
	}
	clear(l.streams)
	l.mu.Unlock()
	for _, s := range open {
		s.teardown()
	}
}

// teardown ends the session of a stream whose connection the end of its
// lifetime tore down, when no iteration will run to see it: the handshake
// is recorded if the loop never took it, and the session lasts until the
// connection's close event.
func (s *wsStream) teardown() {
	s.mu.Lock()
	res := s.dialed
	s.dialed = nil
	s.mu.Unlock()
	if res != nil && s.conn == nil && !s.ended {
		hs := res.hs
		s.session.Handshook(metrics.Handshake{Status: hs.Status, Subprotocol: hs.Subprotocol,
			RemoteAddr: hs.RemoteAddr}, hs.Duration)
		s.conn = res.conn
	}
	at := time.Now()
	if s.conn != nil {
		<-s.conn.Done()
		for _, ev := range s.conn.Events(nil) {
			if ev.Kind == conn.Close {
				at = ev.Time
			}
		}
	}
	s.session.End(at)
}
