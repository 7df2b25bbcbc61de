// Package metrics records the ws_* metrics of WebSocket sessions with k6's
// names and tag rules, and emits them in batches.
//
// A Session belongs to one connection and to the goroutine that runs the
// script's code for it (the VU's goroutine or its event loop): it is not safe
// for concurrent use. Message counters are coalesced and flushed at most once
// per FlushInterval, and always at the end of the session, as one sample
// container whose counter samples may carry a value above 1. Every trend value
// (ws_ping) is a sample of its own, sent in the same container.
//
// Every session gives one sample each of ws_sessions, ws_connecting and
// ws_session_duration, or none. It counts when its opening handshake ended,
// successful or not, while the VU's context had not: HandshakeEnded then emits
// ws_sessions and ws_connecting, and End emits ws_session_duration, even once
// the test is over. A handshake cut off by the end of the test, or a connect
// attempted after it, is an interruption, not a session: it emits nothing.
//
// A session told to CountFailures also emits ws_handshake_failed with
// ws_sessions, and, once it opened, ws_session_failed with
// ws_session_duration (failures.go): the metrics that say which sessions
// failed, and why.
package metrics

import (
	"context"
	"net"
	"slices"
	"strconv"
	"time"

	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/vuctx"
)

// FlushInterval is the longest time coalesced message counters wait before
// they are sent to k6, while the session is active.
const FlushInterval = time.Second

// finalPushTimeout bounds how long the last samples of a session may wait for
// room in k6's sample channel once the VU's context is over.
const finalPushTimeout = 2 * time.Second

// Sink is where samples go: the VU's lib.State.Samples channel.
type Sink = chan<- k6metrics.SampleContainer

// Handshake is what the opening handshake tells the session's tags.
type Handshake struct {
	// Status is the HTTP status code of the handshake response, 0 without one.
	Status int
	// Subprotocol is the subprotocol the server selected, if any.
	Subprotocol string
	// RemoteAddr is the address of the peer, nil when no connection was made.
	RemoteAddr net.Addr
	// Failed says the handshake failed; ErrorCode is then its k6 error
	// code, the value of the error_code tag.
	Failed    bool
	ErrorCode int
}

// phase is where a Session stands.
type phase int

const (
	// handshaking: the opening handshake has not ended yet.
	handshaking phase = iota
	// counted: ws_sessions and ws_connecting were emitted.
	counted
	// interrupted: the VU's context ended before the handshake did; the
	// session emits nothing.
	interrupted
	// ended: End was called; the session emits nothing more.
	ended
)

// Session records the metrics of one WebSocket session.
type Session struct {
	ctx        context.Context //nolint:containedctx // the VU's context, checked on every push
	sink       Sink
	builtin    *k6metrics.BuiltinMetrics
	systemTags *k6metrics.SystemTagSet
	tags       k6metrics.TagsAndMeta

	start     time.Time
	lastFlush time.Time
	sent      float64
	received  float64
	pings     []k6metrics.Sample
	phase     phase

	failures  *Failures // nil: ws_handshake_failed and ws_session_failed are not emitted
	failed    bool      // the handshake failed
	closeCode int       // the close code, once Closed was called
}

// NewSession starts recording a session that began at start. tags are the
// session's tags so far (the VU's tags plus the script's own); the handshake
// adds status, subproto and ip where those system tags are enabled.
func NewSession(
	ctx context.Context, sink Sink, builtin *k6metrics.BuiltinMetrics,
	systemTags *k6metrics.SystemTagSet, tags k6metrics.TagsAndMeta, start time.Time,
) *Session {
	return &Session{
		ctx:        ctx,
		sink:       sink,
		builtin:    builtin,
		systemTags: systemTags,
		tags:       tags,
		start:      start,
		lastFlush:  start,
	}
}

// HandshakeEnded records the end of the opening handshake, successful or not, and
// reports whether the session counts. When the VU's context has not ended
// (see vuctx.Ended), it completes the session's tags and emits ws_sessions
// and ws_connecting. Otherwise the handshake was cut off by the end of the
// test, or began after it: it returns false, and the session emits nothing,
// End included. Calls after the first emit nothing.
func (s *Session) HandshakeEnded(h Handshake, connecting time.Duration) bool {
	if s.phase != handshaking {
		return s.phase == counted
	}
	if vuctx.Ended(s.ctx) {
		s.phase = interrupted
		return false
	}
	if h.RemoteAddr != nil {
		if ip, _, err := net.SplitHostPort(h.RemoteAddr.String()); err == nil {
			s.tags.SetSystemTagOrMetaIfEnabled(s.systemTags, k6metrics.TagIP, ip)
		}
	}
	if h.Status != 0 {
		s.tags.SetSystemTagOrMetaIfEnabled(s.systemTags, k6metrics.TagStatus, strconv.Itoa(h.Status))
		s.tags.SetSystemTagOrMetaIfEnabled(s.systemTags, k6metrics.TagSubproto, h.Subprotocol)
	}
	if h.Failed {
		s.failed = true
		s.tagFailure(h)
	}
	samples := []k6metrics.Sample{
		s.sample(s.builtin.WSSessions, s.start, 1),
		s.sample(s.builtin.WSConnecting, s.start, k6metrics.D(connecting)),
	}
	if failed, ok := s.handshakeFailedSample(h.Failed); ok {
		samples = append(samples, failed)
	}
	pushed := s.push(k6metrics.ConnectedSamples{Samples: samples, Tags: s.tags.Tags, Time: s.start}, false)
	if !pushed { // the VU's context ended while waiting for room in k6's channel
		s.phase = interrupted
		return false
	}
	s.phase = counted
	return true
}

// MessageSent counts one data message written by the script.
func (s *Session) MessageSent(now time.Time) {
	s.sent++
	s.maybeFlush(now)
}

// MessagesReceived counts n data messages delivered to the script.
func (s *Session) MessagesReceived(n int, now time.Time) {
	s.received += float64(n)
	s.maybeFlush(now)
}

// Ping records the round trip time of one ping answered by a pong.
func (s *Session) Ping(rtt time.Duration, at time.Time) {
	s.pings = append(s.pings, s.sample(s.builtin.WSPing, at, k6metrics.D(rtt)))
	s.maybeFlush(at)
}

// End flushes what is pending and emits ws_session_duration, if the session
// counts (see HandshakeEnded). It also does so when the VU's context is already
// over, so that sessions cut by the end of the test are measured too. Calls
// after the first do nothing.
func (s *Session) End(now time.Time) {
	if s.phase != counted {
		s.phase = ended
		return
	}
	s.phase = ended
	samples := s.pending(now, 2)
	samples = append(samples, s.sample(s.builtin.WSSessionDuration, s.start, k6metrics.D(now.Sub(s.start))))
	if failed, ok := s.sessionFailedSample(now); ok {
		samples = append(samples, failed)
	}
	s.push(k6metrics.ConnectedSamples{Samples: samples, Tags: s.tags.Tags, Time: now}, true)
}

func (s *Session) maybeFlush(now time.Time) {
	if s.phase != counted || now.Sub(s.lastFlush) < FlushInterval || s.ctx.Err() != nil {
		return // once the VU is done, End sends what is pending
	}
	if samples := s.pending(now, 0); len(samples) > 0 {
		s.push(k6metrics.ConnectedSamples{Samples: samples, Tags: s.tags.Tags, Time: now}, false)
	}
}

// pending takes the coalesced counters and the recorded pings as samples,
// in a slice with room for extra more, so that a caller adding samples
// does not grow it again.
func (s *Session) pending(now time.Time, extra int) []k6metrics.Sample {
	s.lastFlush = now
	more := extra
	if s.sent > 0 {
		more++
	}
	if s.received > 0 {
		more++
	}
	samples := slices.Grow(s.pings, more)
	s.pings = nil
	if s.sent > 0 {
		samples = append(samples, s.sample(s.builtin.WSMessagesSent, now, s.sent))
		s.sent = 0
	}
	if s.received > 0 {
		samples = append(samples, s.sample(s.builtin.WSMessagesReceived, now, s.received))
		s.received = 0
	}
	return samples
}

func (s *Session) sample(m *k6metrics.Metric, t time.Time, v float64) k6metrics.Sample {
	return k6metrics.Sample{
		TimeSeries: k6metrics.TimeSeries{Metric: m, Tags: s.tags.Tags},
		Time:       t,
		Metadata:   s.tags.Metadata,
		Value:      v,
	}
}

// push sends c to k6 and reports whether it did. While the VU runs it
// behaves like k6's own modules: nothing is sent once the context is over.
// final pushes are sent anyway, waiting a bounded time for room in the
// channel. Without a sink, nothing is sent and every push counts as done.
func (s *Session) push(c k6metrics.ConnectedSamples, final bool) bool {
	if s.sink == nil {
		return true
	}
	if k6metrics.PushIfNotDone(s.ctx, s.sink, c) {
		return true
	}
	if !final {
		return false
	}
	select {
	case s.sink <- c:
		return true
	default:
	}
	timer := time.NewTimer(finalPushTimeout)
	defer timer.Stop()
	select {
	case s.sink <- c:
		return true
	case <-timer.C:
		return false
	}
}
