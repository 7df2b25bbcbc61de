package connmetrics_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	k6metrics "go.k6.io/k6/metrics"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/metrics"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// record runs a session that counts failures through the handshake hs,
// which failed with err or succeeded (nil), the events evs and its end, and
// returns every sample it emitted.
func record(t *testing.T, hs conn.Handshake, err error, evs ...conn.Event) []k6metrics.Sample {
	t.Helper()
	registry := k6metrics.NewRegistry()
	sink := make(chan k6metrics.SampleContainer, 10)
	tags := k6metrics.TagsAndMeta{Tags: registry.RootTagSet()}
	system := k6metrics.NewSystemTagSet(k6metrics.TagStatus, k6metrics.TagSubproto, k6metrics.TagIP,
		k6metrics.TagErrorCode)
	s := metrics.NewSession(context.Background(), sink, k6metrics.RegisterBuiltinMetrics(registry),
		system, tags, hs.Start)
	failures, ferr := metrics.RegisterFailures(registry)
	require.NoError(t, ferr)
	s.CountFailures(failures)
	require.True(t, connmetrics.HandshakeEnded(s, hs, err))
	for i := range evs {
		if evs[i].Kind == conn.Close {
			connmetrics.Closed(s, &evs[i])
			continue
		}
		connmetrics.Received(s, &evs[i])
	}
	s.End(hs.Start.Add(time.Second))
	close(sink)
	var samples []k6metrics.Sample
	for c := range sink {
		samples = append(samples, c.GetSamples()...)
	}
	return samples
}

func TestHandshakeEndedTagsTheSessionWithTheHandshake(t *testing.T) {
	t.Parallel()
	hs := conn.Handshake{
		Status:      101,
		Subprotocol: "chat",
		RemoteAddr:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080},
		Start:       time.Now(),
		Duration:    3 * time.Millisecond,
	}
	samples := record(t, hs, nil)
	require.NotEmpty(t, samples)
	connecting := map[string]float64{}
	for _, smp := range samples {
		assert.Equal(t, map[string]string{"status": "101", "subproto": "chat", "ip": "127.0.0.1"},
			smp.Tags.Map(), smp.Metric.Name)
		connecting[smp.Metric.Name] = smp.Value
	}
	assert.InDelta(t, 3.0, connecting["ws_connecting"], 1e-9, "ws_connecting is the handshake's duration in ms")
}

func TestReceivedCountsMessagesAndMatchedPongs(t *testing.T) {
	t.Parallel()
	start := time.Now()
	samples := record(t, conn.Handshake{Status: 101, Start: start}, nil,
		conn.Event{Kind: conn.Text, Time: start},
		conn.Event{Kind: conn.Binary, Time: start},
		conn.Event{Kind: conn.Pong, Time: start, Matched: true, RTT: 2 * time.Millisecond},
		conn.Event{Kind: conn.Pong, Time: start}, // unsolicited: no round trip
		conn.Event{Kind: conn.Ping, Time: start},
		conn.Event{Kind: conn.Close, Time: start},
	)
	byMetric := map[string][]float64{}
	for _, smp := range samples {
		byMetric[smp.Metric.Name] = append(byMetric[smp.Metric.Name], smp.Value)
	}
	assert.Equal(t, []float64{2}, byMetric["ws_msgs_received"], "one coalesced sample of both data messages")
	assert.Equal(t, []float64{2}, byMetric["ws_ping"], "one ping sample, of the matched pong's RTT in ms")
}

func TestFailedHandshakeCarriesItsErrorCodeAndStatus(t *testing.T) {
	t.Parallel()
	refused := fmt.Errorf("%w: the server answered 429", websocket.ErrBadHandshake)
	samples := record(t, conn.Handshake{Status: 429, Start: time.Now()}, refused)
	failed := map[string]float64{}
	for _, smp := range samples {
		tags := smp.Tags.Map()
		assert.Equal(t, "429", tags["status"], smp.Metric.Name)
		assert.Equal(t, "1429", tags["error_code"], smp.Metric.Name)
		failed[smp.Metric.Name] = smp.Value
	}
	assert.Contains(t, failed, "ws_handshake_failed")
	assert.InDelta(t, 1.0, failed["ws_handshake_failed"], 0)
	assert.NotContains(t, failed, "ws_session_failed")
}

func TestCloseEventSaysWhetherTheSessionFailed(t *testing.T) {
	t.Parallel()
	start := time.Now()
	samples := record(t, conn.Handshake{Status: 101, Start: start}, nil,
		conn.Event{Kind: conn.Error, Time: start, Err: errors.New("dropped")},
		conn.Event{Kind: conn.Close, Time: start, Code: conn.CloseAbnormal},
	)
	var failed []k6metrics.Sample
	for _, smp := range samples {
		if smp.Metric.Name == "ws_session_failed" {
			failed = append(failed, smp)
		}
	}
	require.Len(t, failed, 1)
	assert.InDelta(t, 1.0, failed[0].Value, 0)
	assert.Equal(t, "1006", failed[0].Tags.Map()["close_code"])
}
