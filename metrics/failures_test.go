package metrics_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/metrics"
)

// failuresFixture is a fixture whose sessions count failures.
func failuresFixture(t *testing.T, system ...k6metrics.SystemTag) (fixture, *metrics.Failures) {
	t.Helper()
	registry := k6metrics.NewRegistry()
	f := fixture{
		sink:    make(chan k6metrics.SampleContainer, 100),
		builtin: k6metrics.RegisterBuiltinMetrics(registry),
		tags:    k6metrics.TagsAndMeta{Tags: registry.RootTagSet().With("url", "ws://x/")},
		system:  k6metrics.NewSystemTagSet(system...),
	}
	failures, err := metrics.RegisterFailures(registry)
	require.NoError(t, err)
	again, err := metrics.RegisterFailures(registry)
	require.NoError(t, err)
	assert.Same(t, failures.HandshakeFailed, again.HandshakeFailed, "every VU registers them")
	return f, failures
}

// byName returns the samples of containers by metric name.
func byName(containers []k6metrics.SampleContainer) map[string]k6metrics.Sample {
	out := map[string]k6metrics.Sample{}
	for _, c := range containers {
		for _, s := range c.GetSamples() {
			out[s.Metric.Name] = s
		}
	}
	return out
}

func TestFailedHandshakeIsAHandshakeFailedSampleWithErrorCodeAndStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		code   int
	}{
		{"no answer", 0, 1212},
		{"refused with 429", 429, 1429},
	} {
		f, failures := failuresFixture(t, k6metrics.TagStatus, k6metrics.TagErrorCode)
		start := time.Now()
		s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, start)
		s.CountFailures(failures)
		require.True(t, s.HandshakeEnded(metrics.Handshake{Status: tc.status, Failed: true, ErrorCode: tc.code}, 0))
		s.End(start.Add(time.Second))

		got := byName(f.containers())
		require.Contains(t, got, metrics.HandshakeFailedName, tc.name)
		assert.Equal(t, k6metrics.Rate, got[metrics.HandshakeFailedName].Metric.Type, tc.name)
		assert.InDelta(t, 1.0, got[metrics.HandshakeFailedName].Value, 0, tc.name)
		assert.NotContains(t, got, metrics.SessionFailedName, "a session that never opened cannot end abnormally")
		for _, name := range []string{metrics.HandshakeFailedName, k6metrics.WSSessionsName, k6metrics.WSSessionDurationName} {
			tags := got[name].Tags.Map()
			assert.Equal(t, strconv.Itoa(tc.code), tags["error_code"], tc.name, name)
			assert.Equal(t, strconv.Itoa(tc.status), tags["status"], tc.name, name)
		}
	}
}

func TestOpenedSessionIsAHandshakeNotFailedSample(t *testing.T) {
	t.Parallel()
	f, failures := failuresFixture(t, k6metrics.TagStatus, k6metrics.TagErrorCode)
	s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, time.Now())
	s.CountFailures(failures)
	require.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, 0))
	got := byName(f.containers())
	require.Contains(t, got, metrics.HandshakeFailedName)
	assert.InDelta(t, 0.0, got[metrics.HandshakeFailedName].Value, 0)
	_, hasCode := got[metrics.HandshakeFailedName].Tags.Get("error_code")
	assert.False(t, hasCode)
}

func TestSessionFailedSaysWhetherAnOpenedSessionEndedAbnormally(t *testing.T) {
	t.Parallel()
	for code, abnormal := range map[int]bool{1000: false, 1001: false, 1005: false, 1006: true, 1009: true, 1011: true, 4001: true} {
		f, failures := failuresFixture(t)
		start := time.Now()
		s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, start)
		s.CountFailures(failures)
		require.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, 0))
		s.Closed(code)
		s.End(start.Add(time.Second))
		got := byName(f.containers())
		require.Contains(t, got, metrics.SessionFailedName, code)
		assert.InDelta(t, rate(abnormal), got[metrics.SessionFailedName].Value, 0, code)
		assert.Equal(t, strconv.Itoa(code), got[metrics.SessionFailedName].Tags.Map()[metrics.CloseCodeTag], code)
		_, durationHasCode := got[k6metrics.WSSessionDurationName].Tags.Get(metrics.CloseCodeTag)
		assert.False(t, durationHasCode, "the close code tags ws_session_failed only")
	}
}

func TestWithoutCountFailuresNoFailureMetricIsEmitted(t *testing.T) {
	t.Parallel()
	f, _ := failuresFixture(t)
	s := metrics.NewSession(context.Background(), f.sink, f.builtin, f.system, f.tags, time.Now())
	require.True(t, s.HandshakeEnded(metrics.Handshake{Status: 101}, 0))
	s.Closed(1006)
	s.End(time.Now())
	got := byName(f.containers())
	assert.NotContains(t, got, metrics.HandshakeFailedName)
	assert.NotContains(t, got, metrics.SessionFailedName)
}

func rate(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
