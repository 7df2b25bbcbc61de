package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestServesEchoUntilCancelledThenReportsStats(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, stdoutW, io.Discard)
		_ = stdoutW.Close()
	}()
	lines := bufio.NewScanner(stdoutR)
	require.True(t, lines.Scan(), "the first line must be the URL")
	url := lines.Text()
	require.True(t, strings.HasPrefix(url, "ws://127.0.0.1:"), "got %q", url)

	c, _, err := websocket.DefaultDialer.DialContext(ctx, url+"/echo", nil)
	require.NoError(t, err)
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte("hi")))
	typ, msg, err := c.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, websocket.TextMessage, typ)
	assert.Equal(t, "hi", string(msg))
	require.NoError(t, c.Close())

	cancel()
	require.True(t, lines.Scan(), "a stats line must follow on shutdown")
	var stats map[string]int64
	require.NoError(t, json.Unmarshal(lines.Bytes(), &stats))
	assert.Equal(t, int64(1), stats["MessagesReceived"])
	assert.Equal(t, int64(1), stats["MessagesSent"])
	require.NoError(t, <-done)
}

func TestRefusesNonLoopbackAddress(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", "example.com:80", "no-port"} {
		err := run(context.Background(), []string{"-addr", addr}, io.Discard, io.Discard)
		require.ErrorContains(t, err, "-addr must be", addr)
	}
}
