package metrics_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	k6metrics "go.k6.io/k6/metrics"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/metrics"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type fixture struct {
	sink    chan k6metrics.SampleContainer
	builtin *k6metrics.BuiltinMetrics
	tags    k6metrics.TagsAndMeta
	system  *k6metrics.SystemTagSet
}

func newFixture(system ...k6metrics.SystemTag) fixture {
	registry := k6metrics.NewRegistry()
	return fixture{
		sink:    make(chan k6metrics.SampleContainer, 100),
		builtin: k6metrics.RegisterBuiltinMetrics(registry),
		tags:    k6metrics.TagsAndMeta{Tags: registry.RootTagSet().With("url", "ws://x/")},
		system:  k6metrics.NewSystemTagSet(system...),
	}
}

func (f fixture) containers() []k6metrics.SampleContainer {
	var out []k6metrics.SampleContainer
	for {
		select {
		case c := <-f.sink:
			out = append(out, c)
		default:
			return out
		}
	}
}

func TestHandshakeEndedEmitsSessionsAndConnectingWithHandshakeTags(t *testing.T) {
	t.Parallel()
	f := newFixture(k6metrics.TagStatus, k6metrics.TagSubproto, k6metrics.TagIP)
	start := time.Now()
	s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, start)
	s.HandshakeEnded(metrics.Handshake{
		Status: 101, Subprotocol: "chat",
		RemoteAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80},
	}, 25*time.Millisecond)

	got := f.containers()
	require.Len(t, got, 1)
	samples := got[0].GetSamples()
	require.Len(t, samples, 2)
	assert.Equal(t, k6metrics.WSSessionsName, samples[0].Metric.Name)
	assert.InDelta(t, 1.0, samples[0].Value, 0)
	assert.Equal(t, k6metrics.WSConnectingName, samples[1].Metric.Name)
	assert.InDelta(t, 25.0, samples[1].Value, 1e-9)
	tags := samples[0].Tags.Map()
	assert.Equal(t, "101", tags["status"])
	assert.Equal(t, "chat", tags["subproto"])
	assert.Equal(t, "ws://x/", tags["url"])
	assert.Equal(t, "127.0.0.1", tags["ip"])
}

func TestFailedHandshakeWithoutConnectionHasNoIPOrStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(k6metrics.TagStatus, k6metrics.TagIP)
	s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, time.Now())
	s.HandshakeEnded(metrics.Handshake{}, time.Millisecond)
	samples := f.containers()[0].GetSamples()
	_, hasStatus := samples[0].Tags.Get("status")
	assert.False(t, hasStatus)
	assert.NotContains(t, samples[0].Metadata, "ip")
}

func TestCountersAreCoalescedUntilTheFlushInterval(t *testing.T) {
	t.Parallel()
	f := newFixture()
	start := time.Now()
	s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, start)
	require.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, time.Millisecond))
	require.Len(t, f.containers(), 1, "ws_sessions and ws_connecting")
	for i := range 100 {
		s.MessageSent(start.Add(time.Duration(i) * time.Millisecond))
	}
	s.MessagesReceived(7, start.Add(200*time.Millisecond))
	assert.Empty(t, f.containers(), "nothing is sent before the flush interval")

	s.MessagesReceived(3, start.Add(metrics.FlushInterval))
	got := f.containers()
	require.Len(t, got, 1)
	values := map[string]float64{}
	for _, sample := range got[0].GetSamples() {
		values[sample.Metric.Name] += sample.Value
	}
	assert.Equal(t, map[string]float64{k6metrics.WSMessagesSentName: 100, k6metrics.WSMessagesReceivedName: 10}, values)
}

func TestEndFlushesAndEmitsDurationOnce(t *testing.T) {
	t.Parallel()
	f := newFixture()
	start := time.Now()
	s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, start)
	require.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, time.Millisecond))
	s.MessageSent(start)
	s.Ping(3*time.Millisecond, start)
	s.End(start.Add(2 * time.Second))
	s.End(start.Add(3 * time.Second))

	got := f.containers()
	require.Len(t, got, 2, "the handshake's samples, then End's")
	names := map[string]float64{}
	for _, sample := range got[1].GetSamples() {
		names[sample.Metric.Name] = sample.Value
	}
	assert.InDelta(t, 2000.0, names[k6metrics.WSSessionDurationName], 1e-9)
	assert.InDelta(t, 3.0, names[k6metrics.WSPingName], 1e-9)
	assert.InDelta(t, 1.0, names[k6metrics.WSMessagesSentName], 0)
}

func TestEndIsEmittedAfterTheContextIsOver(t *testing.T) {
	t.Parallel()
	f := newFixture()
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	s := metrics.NewSession(ctx, f.sink, f.builtin, f.system, f.tags, start)
	require.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, time.Millisecond))
	require.Len(t, f.containers(), 1, "ws_sessions and ws_connecting")
	cancel()
	s.MessageSent(start.Add(2 * metrics.FlushInterval))
	assert.Empty(t, f.containers(), "once the VU is done, counters wait for End")
	s.End(start.Add(3 * metrics.FlushInterval))
	got := f.containers()
	require.Len(t, got, 1)
	assert.Len(t, got[0].GetSamples(), 2, "the pending counter and the session duration")
}

func TestNilSinkIsIgnored(t *testing.T) {
	t.Parallel()
	f := newFixture()
	s := metrics.NewSession(context.Background(), nil, f.builtin, f.system, f.tags, time.Now())
	assert.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, 0))
	s.End(time.Now())
}

// BenchmarkMessagesReceived measures what counting one received message
// costs, flushes included: the hot path of a flood.
func BenchmarkMessagesReceived(b *testing.B) {
	f := newFixture()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range f.sink {
		}
	}()
	start := time.Now()
	s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, start)
	s.HandshakeEnded(metrics.Handshake{Status: 101}, time.Millisecond)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.MessagesReceived(1, start.Add(time.Duration(i)*time.Microsecond))
	}
	s.End(start.Add(time.Duration(b.N) * time.Microsecond))
	b.StopTimer()
	close(f.sink)
	<-done
}
