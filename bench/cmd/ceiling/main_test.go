package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
	"github.com/loadkit/xk6-ws/internal/echoserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// ceilingRun runs the command against a fresh echo server and decodes its
// outcome.
func ceilingRun(t *testing.T, args ...string) benchkit.Outcome {
	t.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	var out bytes.Buffer
	require.NoError(t, run(append([]string{"-url", srv.URL()}, args...), &out))
	var o benchkit.Outcome
	require.NoError(t, json.Unmarshal(out.Bytes(), &o))
	return o
}

func TestEcho(t *testing.T) {
	t.Parallel()
	o := ceilingRun(t, "-mode", "echo", "-conns", "3", "-duration", "150ms", "-size", "8")
	assert.Equal(t, 3.0, o.Sockets)
	assert.Zero(t, o.Errors)
	assert.Positive(t, o.Ops)
	assert.GreaterOrEqual(t, o.WindowMs, 3*150.0, "each socket's window covers the duration")
	rate, err := o.WindowRate()
	require.NoError(t, err)
	assert.Positive(t, rate)
}

func TestChurn(t *testing.T) {
	t.Parallel()
	o := ceilingRun(t, "-mode", "churn", "-conns", "2", "-duration", "150ms")
	assert.Positive(t, o.Ops)
	assert.Zero(t, o.Errors)
	assert.Positive(t, o.OpsRate)
	assert.Positive(t, o.ConnectingP95Ms)
}

func TestFlood(t *testing.T) {
	t.Parallel()
	o := ceilingRun(t, "-mode", "flood", "-duration", "150ms", "-size", "64")
	assert.Equal(t, 1.0, o.Sockets)
	assert.Positive(t, o.Ops)
	assert.GreaterOrEqual(t, o.WindowMs, 150.0)
}

func TestFloodEndsWhenEveryMessageIsIn(t *testing.T) {
	t.Parallel()
	o := ceilingRun(t, "-mode", "flood", "-duration", "1m", "-count", "1000", "-size", "16")
	assert.Equal(t, 1000.0, o.Ops)
	assert.Less(t, o.WindowMs, 60_000.0, "the window must end with the last message, not the duration")
}

func TestIdleHoldsEverySocket(t *testing.T) {
	t.Parallel()
	o := ceilingRun(t, "-mode", "idle", "-sockets", "100", "-hold", "50ms")
	assert.Equal(t, 100.0, o.Sockets)
	assert.Zero(t, o.Errors)

	base := ceilingRun(t, "-mode", "idle", "-sockets", "100", "-hold", "50ms", "-baseline")
	assert.Zero(t, base.Sockets, "the baseline opens nothing")
}

func TestLargeBinaryEchoDoesTheRoundTripsAsked(t *testing.T) {
	t.Parallel()
	o := ceilingRun(t, "-mode", "echo", "-conns", "1", "-size", "1048576", "-binary", "-roundtrips", "5")
	assert.Equal(t, 5.0, o.Ops)
	assert.Equal(t, 1.0, o.Sockets)
	assert.Zero(t, o.Errors)
}

func TestWriteBufferSetsTheEchoDialersBuffer(t *testing.T) {
	t.Parallel()
	cfg, err := parseFlags([]string{"-mode", "echo", "-url", "ws://127.0.0.1:1", "-write-buffer", "65536"})
	require.NoError(t, err)
	assert.Equal(t, 65536, cfg.echoDialer().WriteBufferSize)
	assert.Zero(t, dialer.WriteBufferSize, "the shared dialer keeps gorilla's default")
	cfg.writeBuffer = 0
	assert.Same(t, dialer, cfg.echoDialer())

	o := ceilingRun(t, "-mode", "echo", "-conns", "1", "-size", "1048576", "-binary", "-roundtrips", "3",
		"-write-buffer", "65536")
	assert.Equal(t, 3.0, o.Ops)
	assert.Zero(t, o.Errors)
}

func TestScaleCountsEveryPushedMessage(t *testing.T) {
	t.Parallel()
	o := ceilingRun(t, "-mode", "scale", "-sockets", "20", "-count", "3", "-interval", "10ms", "-size", "16")
	assert.Equal(t, 20.0, o.Sockets)
	assert.Equal(t, 60.0, o.Ops)
	assert.Zero(t, o.Errors)
	assert.Positive(t, o.LastOpenMs)

	base := ceilingRun(t, "-mode", "scale", "-sockets", "20", "-interval", "10ms", "-baseline")
	assert.Zero(t, base.Sockets, "the baseline opens nothing")
}

func TestDialFailureIsAnError(t *testing.T) {
	t.Parallel()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	url := srv.URL()
	require.NoError(t, srv.Close()) // nothing listens there any more

	var out bytes.Buffer
	err = run([]string{"-url", url, "-mode", "echo", "-conns", "1", "-duration", "50ms"}, &out)
	require.ErrorContains(t, err, "dial")
}

func TestRejectsBadFlags(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"-mode must be one of":  {"-mode", "spin", "-url", "ws://127.0.0.1:1"},
		"-url must be a ws://":  {"-mode", "echo", "-url", "http://127.0.0.1:1"},
		"-conns must be at":     {"-mode", "echo", "-url", "ws://127.0.0.1:1", "-conns", "0"},
		"-size must be between": {"-mode", "echo", "-url", "ws://127.0.0.1:1", "-size", "0"},
		"must be positive":      {"-mode", "echo", "-url", "ws://127.0.0.1:1", "-duration", "0s"},
		"-count must be at":     {"-mode", "flood", "-url", "ws://127.0.0.1:1", "-count", "0"},
		"-roundtrips must not":  {"-mode", "echo", "-url", "ws://127.0.0.1:1", "-roundtrips", "-1"},
		"-write-buffer must":    {"-mode", "echo", "-url", "ws://127.0.0.1:1", "-write-buffer", "-1"},
		"-interval must be":     {"-mode", "scale", "-url", "ws://127.0.0.1:1", "-interval", "0s"},
		"67108864 bytes":        {"-mode", "echo", "-url", "ws://127.0.0.1:1", "-size", "67108865"},
		"parse flags":           {"-bogus"},
	}
	for want, args := range cases {
		_, err := parseFlags(args)
		require.ErrorContains(t, err, want, "args %q", args)
	}
}

func TestRunStopsAtItsLimit(t *testing.T) {
	t.Parallel()
	cfg := config{duration: time.Second, hold: 2 * time.Second, openTimeout: 3 * time.Second}
	assert.Equal(t, 6*time.Second+time.Minute, cfg.limit())
	cfg.mode, cfg.count, cfg.interval = "scale", 30, time.Second
	assert.Equal(t, 36*time.Second+time.Minute, cfg.limit(), "scale waits for every push")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorContains(t, wait(ctx, time.Hour), "interrupted")
}
