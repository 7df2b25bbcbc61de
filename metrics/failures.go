package metrics

import (
	"fmt"
	"strconv"
	"time"

	k6metrics "go.k6.io/k6/metrics"
)

// Names of the metrics of failed sessions, and of the tag that says how a
// session ended.
const (
	// HandshakeFailedName is a Rate: true for a session whose opening
	// handshake failed, false for one that opened.
	HandshakeFailedName = "ws_handshake_failed"
	// SessionFailedName is a Rate: for a session that opened, true when it
	// ended abnormally (see Session.Closed), false otherwise.
	SessionFailedName = "ws_session_failed"
	// CloseCodeTag holds, on ws_session_failed, the session's close code:
	// one of RFC 6455's 1000 to 4999, so its values are bounded.
	CloseCodeTag = "close_code"
)

// Failures are the metrics of failed sessions, which k6 has no builtin for.
type Failures struct {
	HandshakeFailed *k6metrics.Metric
	SessionFailed   *k6metrics.Metric
}

// RegisterFailures registers the metrics of failed sessions in r, or finds
// them there: every VU may call it.
func RegisterFailures(r *k6metrics.Registry) (*Failures, error) {
	handshake, err := r.NewMetric(HandshakeFailedName, k6metrics.Rate)
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", HandshakeFailedName, err)
	}
	session, err := r.NewMetric(SessionFailedName, k6metrics.Rate)
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", SessionFailedName, err)
	}
	return &Failures{HandshakeFailed: handshake, SessionFailed: session}, nil
}

// CountFailures makes s emit the metrics of f: a ws_handshake_failed sample
// with ws_sessions, and a ws_session_failed sample with ws_session_duration
// when the session opened. It must be called before HandshakeEnded.
func (s *Session) CountFailures(f *Failures) {
	s.failures = f
}

// Closed records how the session's connection ended: its close code, the
// peer's after a close handshake or the one the connection reported
// (1006 when it was dropped or the close handshake timed out). A session
// ended abnormally unless its code is 1000 (normal closure), 1001 (going
// away, which the end of the test sends too) or 1005 (a close frame without
// a code).
func (s *Session) Closed(code int) {
	s.closeCode = code
}

// abnormal tells whether a session that closed with code ended abnormally.
func abnormal(code int) bool {
	return code != 1000 && code != 1001 && code != 1005
}

// handshakeFailedSample returns the ws_handshake_failed sample of a
// handshake that failed or not, when failures are counted.
func (s *Session) handshakeFailedSample(failed bool) (k6metrics.Sample, bool) {
	if s.failures == nil {
		return k6metrics.Sample{}, false
	}
	return s.sample(s.failures.HandshakeFailed, s.start, rate(failed)), true
}

// sessionFailedSample returns the ws_session_failed sample of a session that
// opened and ended at now, when failures are counted and its close is known.
func (s *Session) sessionFailedSample(now time.Time) (k6metrics.Sample, bool) {
	if s.failures == nil || s.closeCode == 0 || s.failed {
		return k6metrics.Sample{}, false
	}
	sample := s.sample(s.failures.SessionFailed, now, rate(abnormal(s.closeCode)))
	sample.Tags = sample.Tags.With(CloseCodeTag, strconv.Itoa(s.closeCode))
	return sample, true
}

// rate is a Rate sample's value for b.
func rate(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// tagFailure gives the samples of a session whose handshake failed the
// error_code and status tags, as k6 tags a failed HTTP request: status is 0
// when no answer came.
func (s *Session) tagFailure(h Handshake) {
	if h.ErrorCode != 0 {
		s.tags.SetSystemTagOrMetaIfEnabled(s.systemTags, k6metrics.TagErrorCode, strconv.Itoa(h.ErrorCode))
	}
	if h.Status == 0 {
		s.tags.SetSystemTagOrMetaIfEnabled(s.systemTags, k6metrics.TagStatus, "0")
	}
}
