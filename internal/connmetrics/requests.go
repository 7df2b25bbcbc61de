package connmetrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.k6.io/k6/js/common"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/correlate"
	"github.com/loadkit/xk6-ws/metrics"
)

// Correlate sets up what params.correlate asks, when spec is not nil: a
// correlate.Table as opts' Tracker, whose outcomes a metrics.Requests
// records with tags, the session's so far (Tagged completes them). It
// returns the recorder, nil without spec, or the error of m's registration.
func Correlate(
	ctx context.Context, sink metrics.Sink, m *metrics.RequestMetrics, registered error,
	spec *correlate.Spec, tags k6metrics.TagsAndMeta, opts *conn.Options,
) (*metrics.Requests, error) {
	if spec == nil {
		return nil, nil //nolint:nilnil // no correlate records nothing, and that is no error
	}
	if m == nil {
		return nil, errors.Join(errors.New("params.correlate: its metrics are not registered"), registered)
	}
	rec := metrics.NewRequests(ctx, sink, m, tags, spec.Name)
	opts.Tracker = correlate.NewTable(*spec, rec)
	return rec, nil
}

// Tagged gives the requests' samples the session's tags as the handshake
// completed them; it does nothing without requests.
func Tagged(rec *metrics.Requests, s *metrics.Session) {
	if rec != nil {
		rec.SetTags(s.Tags())
	}
}

// AutoReplied counts the messages c answered itself since the last call as
// received and sent (see conn.Options.AutoReply).
func AutoReplied(s *metrics.Session, c *conn.Conn) {
	if n := c.TakeAutoReplies(); n > 0 {
		s.AutoReplied(n, time.Now())
	}
}

// RegisterRequests registers the metrics of correlated requests in the
// registry of env, the VU's init environment (nil outside of it: the error
// then says so, for the first params.correlate to report).
func RegisterRequests(env *common.InitEnvironment) (*metrics.RequestMetrics, error) {
	if env == nil || env.Registry == nil {
		return nil, errors.New("the VU was created without an init environment")
	}
	m, err := metrics.RegisterRequestMetrics(env.Registry)
	if err != nil {
		return nil, fmt.Errorf("params.correlate: %w", err)
	}
	return m, nil
}
