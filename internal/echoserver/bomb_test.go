package echoserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// countingConn counts the bytes read from the network.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func TestDeflateBombSendsZerosCompressed(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	const size = 16 << 20
	var wire atomic.Int64
	d := &websocket.Dialer{
		EnableCompression: true,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			return countingConn{Conn: c, read: &wire}, err
		},
	}
	conn, hs, err := dialWith(t, d, srv, "/deflate-bomb?size=16777216", nil)
	require.NoError(t, err)
	assert.Contains(t, hs.header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")

	typ, r, err := conn.NextReader()
	require.NoError(t, err)
	assert.Equal(t, websocket.BinaryMessage, typ)
	chunk := make([]byte, 64<<10)
	zeros := make([]byte, len(chunk))
	inflated := 0
	for {
		n, err := r.Read(chunk)
		require.True(t, bytes.Equal(zeros[:n], chunk[:n]), "a byte that is not zero after %d bytes", inflated)
		inflated += n
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, size, inflated)
	assert.Less(t, wire.Load(), int64(size/500), "bytes on the wire for %d inflated", size)
	roundTrip(t, conn, "then echoes")
}

func TestDeflateBombNeedsCompression(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	_, hs, err := dialWith(t, &websocket.Dialer{}, srv, "/deflate-bomb", nil)
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	assert.Equal(t, http.StatusBadRequest, hs.status)
	assert.Contains(t, hs.body, "permessage-deflate")
}
