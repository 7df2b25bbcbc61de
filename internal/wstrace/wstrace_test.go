package wstrace_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/wstrace"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func env(value string, set bool) func(string) (string, bool) {
	return func(key string) (string, bool) {
		if key != wstrace.EnvVar {
			return "", false
		}
		return value, set
	}
}

func TestModeOfTheEnvironment(t *testing.T) {
	t.Parallel()
	assert.Equal(t, wstrace.Off, wstrace.ModeOf(nil))
	assert.Equal(t, wstrace.Off, wstrace.ModeOf(env("", false)))
	for value, want := range map[string]wstrace.Mode{
		"": wstrace.Off, "0": wstrace.Off, "false": wstrace.Off,
		"1": wstrace.Headers, "true": wstrace.Headers, "headers": wstrace.Headers,
		"full": wstrace.Full, "FULL": wstrace.Full,
	} {
		assert.Equal(t, want, wstrace.ModeOf(env(value, true)), "%q", value)
	}
}

func TestOffTracesNothing(t *testing.T) {
	t.Parallel()
	logger, hook := logtest.NewNullLogger()
	ctx := context.Background()
	got, trace := wstrace.StartHandshake(ctx, wstrace.Off, logger, "ws://x/")
	assert.Equal(t, ctx, got, "the dial's context is left as it is")
	assert.Nil(t, trace)
	trace.End(conn.Handshake{Status: 101}, nil)
	assert.Nil(t, wstrace.Frames(wstrace.Off, logger, "ws://x/"))
	assert.Nil(t, wstrace.Frames(wstrace.Headers, logger, "ws://x/"), "K6_WS_DEBUG=1 traces no frames")
	assert.Empty(t, hook.AllEntries())
}

func TestHandshakeLogsRequestAndResponseHeaders(t *testing.T) {
	t.Parallel()
	logger, hook := logtest.NewNullLogger()
	ctx, trace := wstrace.StartHandshake(context.Background(), wstrace.Headers, logger, "ws://x/chat")
	ct := httptrace.ContextClientTrace(ctx)
	require.NotNil(t, ct, "the request's header fields are seen as they are written")
	ct.WroteHeaderField("Host", []string{"x"})
	ct.WroteHeaderField("Sec-WebSocket-Protocol", []string{"chat"})
	trace.End(conn.Handshake{Status: 101, Header: http.Header{
		"Upgrade": {"websocket"}, "Sec-Websocket-Protocol": {"chat"},
	}}, nil)

	entries := hook.AllEntries()
	require.Len(t, entries, 1)
	assert.Equal(t, logrus.InfoLevel, entries[0].Level)
	assert.Equal(t, "ws-debug", entries[0].Data["source"])
	assert.Equal(t, "WebSocket handshake with ws://x/chat\nRequest:\nGET /chat HTTP/1.1\n"+
		"Host: x\nSec-WebSocket-Protocol: chat\n"+
		"Response:\nHTTP/1.1 101 Switching Protocols\nSec-Websocket-Protocol: chat\nUpgrade: websocket\n",
		entries[0].Message)
}

func TestFailedHandshakeLogsItsError(t *testing.T) {
	t.Parallel()
	logger, hook := logtest.NewNullLogger()
	_, trace := wstrace.StartHandshake(context.Background(), wstrace.Full, logger, "ws://x/")
	trace.End(conn.Handshake{}, errors.New("dial tcp: connection refused"))
	require.Len(t, hook.AllEntries(), 1)
	assert.True(t, strings.HasSuffix(hook.LastEntry().Message, "Response:\nnone\nError: dial tcp: connection refused\n"),
		hook.LastEntry().Message)
}

func TestFramesAreLoggedWithTheirFirstBytes(t *testing.T) {
	t.Parallel()
	logger, hook := logtest.NewNullLogger()
	tracer := wstrace.Frames(wstrace.Full, logger, "ws://x/")
	require.NotNil(t, tracer)
	tracer.Frame(conn.Sent, 1, 5, []byte("hello"))
	tracer.Frame(conn.Received, 2, 1000, []byte{0, 1, 2})
	tracer.Frame(conn.Received, 8, 2, []byte{0x03, 0xe8})
	var messages []string
	for _, e := range hook.AllEntries() {
		assert.Equal(t, "ws-debug", e.Data["source"])
		assert.Equal(t, "ws://x/", e.Data["url"])
		messages = append(messages, e.Message)
	}
	assert.Equal(t, []string{
		`sent text frame, 5 bytes: "hello"`,
		`received binary frame, 1000 bytes: "\x00\x01\x02"...`,
		`received close frame, 2 bytes: "\x03\xe8"`,
	}, messages)
}
