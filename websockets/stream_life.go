package websockets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.k6.io/k6/js/modules"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
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
			life.keep = func() func() {
				id, events := sub.Subscribe(k6EventTestEnd, k6EventExit)
				quit := make(chan struct{})
				go func() {
					// k6 waits for every event it sent to be acknowledged:
					// the subscription ends (which closes events) before
					// the acknowledgement, and whatever came meanwhile is
					// acknowledged too.
					select {
					case ev, ok := <-events:
						sub.Unsubscribe(id)
						if ok {
							life.stopAll(errTestEnded)
							ev.Done()
						}
					case <-quit:
						sub.Unsubscribe(id)
					}
					for ev := range events {
						ev.Done()
					}
				}()
				return sync.OnceFunc(func() { close(quit) })
			}
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
//     before the outputs stop: every stream still open is closed with 1001
//     (after the messages it has queued, within its closeTimeout) and its
//     ws_session_duration emitted before the event is acknowledged.
type streamLife struct {
	ctx    context.Context //nolint:containedctx // the lifetime itself
	cancel context.CancelCauseFunc
	// wg counts the streams' dial and send goroutines.
	wg sync.WaitGroup
	// watched is the iteration context watched last (event loop only).
	watched context.Context //nolint:containedctx // compared, never used
	// keep, when k6 offers its events, starts a goroutine that stops the
	// lifetime at the end of the test; the function it returns ends that
	// goroutine. It runs while any stream is open, so that nothing of the
	// extension is left running once every stream has closed.
	keep func() (unkeep func())

	mu      sync.Mutex
	streams map[*wsStream]struct{} // streams whose session has not ended
	unkeep  func()                 // ends the goroutine that keep started
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
	if len(l.streams) == 0 && l.keep != nil {
		l.unkeep = l.keep()
	}
	l.streams[s] = struct{}{}
	return true
}

// remove forgets a stream whose session has ended.
func (l *streamLife) remove(s *wsStream) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.streams[s]; !ok {
		return
	}
	delete(l.streams, s)
	if len(l.streams) == 0 && l.unkeep != nil {
		l.unkeep()
		l.unkeep = nil
	}
}

// stopAll ends the lifetime. It runs when no iteration of the VU runs any
// more, as the script's side of the streams: every open connection starts
// its closing handshake with 1001 (going away) after the messages already
// queued, bounded by its closeTimeout; then the lifetime's context ends,
// which gives up dials and waiting writes; once every goroutine of the
// streams has returned, the sessions still open are ended.
func (l *streamLife) stopAll(cause error) {
	l.mu.Lock()
	l.stopped = true
	l.unkeep = nil // the goroutine that keep started is the caller
	open := make([]*wsStream, 0, len(l.streams))
	for s := range l.streams {
		open = append(open, s)
	}
	clear(l.streams)
	l.mu.Unlock()
	for _, s := range open {
		s.goAway()
	}
	for _, s := range open {
		if s.conn != nil {
			<-s.conn.Done()
		}
	}
	l.cancel(cause)
	l.wg.Wait()
	for _, s := range open {
		s.teardown()
	}
}

// goAway takes the dial's outcome if the event loop never did, and starts
// the closing handshake of the connection with 1001.
func (s *wsStream) goAway() {
	s.mu.Lock()
	res := s.dialed
	s.dialed = nil
	s.mu.Unlock()
	if res != nil && s.conn == nil && !s.ended {
		connmetrics.HandshakeEnded(s.session, res.hs, res.err)
		connmetrics.Tagged(s.requests, s.session)
		s.conn = res.conn
	}
	if s.conn != nil {
		s.conn.Close(conn.CloseGoingAway, "")
	}
}

// teardown ends the session of a stream that the end of its lifetime
// closed: it lasted until the connection's close event.
func (s *wsStream) teardown() {
	at := time.Now()
	if s.conn != nil {
		<-s.conn.Done()
		for _, ev := range s.conn.Events(nil) {
			if ev.Kind == conn.Close {
				at = ev.Time
				connmetrics.Closed(s.session, &ev)
			}
		}
		connmetrics.AutoReplied(s.session, s.conn)
	}
	s.session.End(at)
}
