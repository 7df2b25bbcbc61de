package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/metrics"
)

// samples returns every sample of the containers, in order.
func samples(containers []k6metrics.SampleContainer) []k6metrics.Sample {
	var out []k6metrics.Sample
	for _, c := range containers {
		out = append(out, c.GetSamples()...)
	}
	return out
}

func TestRequestsRecordEachOutcomeWithTheSessionsTagsAndName(t *testing.T) {
	t.Parallel()
	registry := k6metrics.NewRegistry()
	m, err := metrics.RegisterRequestMetrics(registry)
	require.NoError(t, err)
	again, err := metrics.RegisterRequestMetrics(registry)
	require.NoError(t, err, "both modules register the same metrics")
	assert.Same(t, m.Duration, again.Duration)
	assert.Equal(t, k6metrics.Trend, m.Duration.Type)
	assert.Equal(t, k6metrics.Time, m.Duration.Contains)
	assert.Equal(t, k6metrics.Rate, m.Failed.Type)

	sink := make(chan k6metrics.SampleContainer, 100)
	root := registry.RootTagSet()
	r := metrics.NewRequests(context.Background(), sink, m, k6metrics.TagsAndMeta{Tags: root.With("url", "ws://x/")}, "rpc")
	r.SetTags(k6metrics.TagsAndMeta{Tags: root.With("url", "ws://x/").With("status", "101")})
	at := time.Now()
	r.Answered(1500*time.Microsecond, at)
	r.Failed(at)
	assert.Empty(t, sink, "samples wait for their batch")
	r.Closed(at)

	got := samples(func() []k6metrics.SampleContainer {
		var out []k6metrics.SampleContainer
		for len(sink) > 0 {
			out = append(out, <-sink)
		}
		return out
	}())
	require.Len(t, got, 3)
	assert.Equal(t, m.Duration, got[0].Metric)
	assert.InDelta(t, 1.5, got[0].Value, 1e-9, "milliseconds, sub-millisecond kept")
	assert.Equal(t, m.Failed, got[1].Metric)
	assert.Zero(t, got[1].Value, "answered: not failed")
	assert.Equal(t, m.Failed, got[2].Metric)
	assert.InDelta(t, 1, got[2].Value, 0, "failed")
	for _, s := range got {
		assert.Equal(t, map[string]string{"url": "ws://x/", "status": "101", "name": "rpc"}, s.Tags.Map())
	}
}

func TestRequestsFlushABatchWithoutWaitingForTheEnd(t *testing.T) {
	t.Parallel()
	registry := k6metrics.NewRegistry()
	m, err := metrics.RegisterRequestMetrics(registry)
	require.NoError(t, err)
	sink := make(chan k6metrics.SampleContainer, 100)
	r := metrics.NewRequests(context.Background(), sink, m, k6metrics.TagsAndMeta{Tags: registry.RootTagSet()}, "")
	defer r.Closed(time.Now())
	r.Answered(time.Millisecond, time.Now())
	select {
	case c := <-sink:
		assert.Len(t, c.GetSamples(), 2, "the answer's two samples, within FlushInterval")
	case <-time.After(10 * time.Second):
		t.Fatal("a lone sample was not sent")
	}
}
