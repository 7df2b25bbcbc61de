package metrics

import (
	"context"
	"fmt"
	"sync"
	"time"

	k6metrics "go.k6.io/k6/metrics"
)

// Names of the metrics of correlated requests (see package correlate).
const (
	ReqDurationName = "ws_req_duration"
	ReqFailedName   = "ws_req_failed"
)

// RequestMetrics are the metrics of correlated requests: ws_req_duration
// (a Trend of times) and ws_req_failed (a Rate).
type RequestMetrics struct {
	Duration *k6metrics.Metric
	Failed   *k6metrics.Metric
}

// RegisterRequestMetrics registers the metrics of correlated requests in
// registry, or returns those already registered.
func RegisterRequestMetrics(registry *k6metrics.Registry) (*RequestMetrics, error) {
	duration, err := registry.NewMetric(ReqDurationName, k6metrics.Trend, k6metrics.Time)
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", ReqDurationName, err)
	}
	failed, err := registry.NewMetric(ReqFailedName, k6metrics.Rate)
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", ReqFailedName, err)
	}
	return &RequestMetrics{Duration: duration, Failed: failed}, nil
}

// requestBatch is how many samples Requests gathers before it sends them.
const requestBatch = 128

// Requests records the outcomes of one connection's correlated requests. It
// is safe for concurrent use: the connection's goroutines call it. Samples
// are sent in batches, at most FlushInterval after the first of a batch,
// and all at Closed, as the Session's are at End.
type Requests struct {
	ctx     context.Context //nolint:containedctx // the VU's context, checked on every push
	sink    Sink
	metrics *RequestMetrics

	mu      sync.Mutex
	tags    k6metrics.TagsAndMeta
	samples []k6metrics.Sample
	timer   *time.Timer // flushes a batch FlushInterval after its first sample
	armed   bool
	closed  bool
}

// NewRequests returns the recorder of one connection's requests. Their
// samples carry tags, plus name (when not empty) as the tag "name"; Tags
// replaces them once the handshake completed the session's tags.
func NewRequests(ctx context.Context, sink Sink, m *RequestMetrics, tags k6metrics.TagsAndMeta, name string) *Requests {
	r := &Requests{ctx: ctx, sink: sink, metrics: m}
	r.setTags(tags, name)
	return r
}

// SetTags makes tags, plus the name given to NewRequests, the tags of the
// samples recorded from now on.
func (r *Requests) SetTags(tags k6metrics.TagsAndMeta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name, _ := r.tags.Tags.Get("name")
	r.setTags(tags, name)
}

func (r *Requests) setTags(tags k6metrics.TagsAndMeta, name string) {
	if name != "" {
		tags.Tags = tags.Tags.With("name", name)
	}
	r.tags = tags
}

// Answered records a reply that came d after its request: a
// ws_req_duration sample and a ws_req_failed sample of false.
func (r *Requests) Answered(d time.Duration, at time.Time) {
	r.add(at, k6metrics.D(d), 0)
}

// Failed records a request that got no reply: a ws_req_failed sample of true.
func (r *Requests) Failed(at time.Time) {
	r.add(at, -1, 1)
}

// add records a ws_req_duration of duration unless it is negative, and a
// ws_req_failed of failed.
func (r *Requests) add(at time.Time, duration, failed float64) {
	r.mu.Lock()
	if duration >= 0 {
		r.samples = append(r.samples, r.sample(r.metrics.Duration, at, duration))
	}
	r.samples = append(r.samples, r.sample(r.metrics.Failed, at, failed))
	var batch []k6metrics.Sample
	switch {
	case len(r.samples) >= requestBatch:
		batch = r.takeLocked()
	case !r.armed && !r.closed:
		r.armed = true
		if r.timer == nil {
			r.timer = time.AfterFunc(FlushInterval, r.flush)
		} else {
			r.timer.Reset(FlushInterval)
		}
	}
	tags := r.tags.Tags
	r.mu.Unlock()
	if batch != nil {
		r.push(batch, tags, at, false)
	}
}

func (r *Requests) sample(m *k6metrics.Metric, at time.Time, v float64) k6metrics.Sample {
	return k6metrics.Sample{
		TimeSeries: k6metrics.TimeSeries{Metric: m, Tags: r.tags.Tags},
		Time:       at,
		Metadata:   r.tags.Metadata,
		Value:      v,
	}
}

// takeLocked takes the gathered samples and disarms the flush.
func (r *Requests) takeLocked() []k6metrics.Sample {
	batch := r.samples
	r.samples = nil
	if r.armed {
		r.armed = false
		r.timer.Stop()
	}
	return batch
}

// flush sends the gathered samples, FlushInterval after the first.
func (r *Requests) flush() {
	r.mu.Lock()
	r.armed = false
	if r.closed || len(r.samples) == 0 {
		r.mu.Unlock()
		return
	}
	batch := r.takeLocked()
	tags := r.tags.Tags
	r.mu.Unlock()
	r.push(batch, tags, time.Now(), false)
}

// Closed sends what is gathered, even once the VU's context is over, as
// Session.End does; nothing is recorded afterwards.
func (r *Requests) Closed(at time.Time) {
	r.mu.Lock()
	r.closed = true
	batch := r.takeLocked()
	tags := r.tags.Tags
	r.mu.Unlock()
	if len(batch) > 0 {
		r.push(batch, tags, at, true)
	}
}

func (r *Requests) push(samples []k6metrics.Sample, tags *k6metrics.TagSet, at time.Time, final bool) {
	s := Session{ctx: r.ctx, sink: r.sink}
	s.push(k6metrics.ConnectedSamples{Samples: samples, Tags: tags, Time: at}, final)
}

// AutoReplied counts n messages that the connection answered itself: each
// is a message received and one sent.
func (s *Session) AutoReplied(n int, now time.Time) {
	s.received += float64(n)
	s.sent += float64(n)
	s.maybeFlush(now)
}

// Tags returns the session's tags: after HandshakeEnded, with those the
// handshake added.
func (s *Session) Tags() k6metrics.TagsAndMeta { return s.tags }
