package connmetrics

import (
	"context"
	"errors"
	"time"

	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/correlate"
	"github.com/loadkit/xk6-ws/metrics"
)

// Correlate sets up what params.correlate asks, when spec is not nil: a
// correlate.Table as opts' Tracker, whose outcomes a metrics.Requests
// records with tags, the session's so far (Tagged completes them). It
// returns the recorder, nil without spec, or an error when the VU
// registered no metrics.
func Correlate(
	ctx context.Context, sink metrics.Sink, vu VU,
	spec *correlate.Spec, tags k6metrics.TagsAndMeta, opts *conn.Options,
) (*metrics.Requests, error) {
	if spec == nil {
		return nil, nil //nolint:nilnil // no correlate records nothing, and that is no error
	}
	if vu.Requests == nil {
		return nil, errors.New("params.correlate: its metrics are not registered: the VU was created without an init environment")
	}
	rec := metrics.NewRequests(ctx, sink, vu.Requests, tags, spec.Name)
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
