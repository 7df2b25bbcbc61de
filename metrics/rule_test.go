package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/wstest"
	"github.com/loadkit/xk6-ws/metrics"
)

// The rule: every session gives one ws_sessions, one ws_connecting and one
// ws_session_duration, or none of them.

// names lists the metric names of the samples of containers, in order.
func names(containers []k6metrics.SampleContainer) []string {
	var out []string
	for _, c := range containers {
		for _, s := range c.GetSamples() {
			out = append(out, s.Metric.Name)
		}
	}
	return out
}

func TestSessionCutByTheEndOfTheTestIsWhole(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	s := metrics.NewSession(ctx, f.sink, f.builtin, f.system, f.tags, start)
	assert.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, time.Millisecond), "the VU still runs")
	cancel()
	s.End(start.Add(time.Second))
	assert.Equal(t, []string{
		k6metrics.WSSessionsName, k6metrics.WSConnectingName, k6metrics.WSSessionDurationName,
	}, names(f.containers()))
}

func TestHandshakeEndingAfterTheVUEmitsNothing(t *testing.T) {
	t.Parallel()
	for name, ctx := range map[string]context.Context{
		"cancelled":       func() context.Context { c, cancel := context.WithCancel(context.Background()); cancel(); return c }(),
		"deadline passed": wstest.PastDeadline(context.Background(), time.Now().Add(-time.Millisecond)),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			start := time.Now()
			s := metrics.NewSession(ctx, f.sink, f.builtin, f.system, f.tags, start)
			assert.False(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, time.Millisecond))
			s.End(start.Add(time.Second))
			assert.Empty(t, names(f.containers()), "no ws_sessions, no ws_connecting, no ws_session_duration")
		})
	}
}

func TestHandshakeWaitingForRoomWhenTheVUEndsEmitsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture()
	full := make(chan k6metrics.SampleContainer) // k6 takes no sample
	ctx, cancel := context.WithCancel(context.Background())
	s := metrics.NewSession(ctx, full, f.builtin, f.system, f.tags, time.Now())
	counted := make(chan bool, 1)
	go func() { counted <- s.HandshakeEnded(metrics.Handshake{Status: 101}, time.Millisecond) }()
	cancel()
	require.False(t, <-counted, "the samples were not taken before the end")
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.End(time.Now())
	}()
	select {
	case c := <-full:
		t.Fatalf("End emitted %v for a session that does not count", names([]k6metrics.SampleContainer{c}))
	case <-done:
	}
}
