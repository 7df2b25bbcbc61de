package conn_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// deflateEcho reads messages from the client, compressed with
// permessage-deflate, and sends each back compressed, until the client
// closes the connection.
func deflateEcho(c net.Conn, br *bufio.Reader) error {
	var payload []byte
	first := frameHeader{}
	for frames := 0; ; frames++ {
		h, err := readFrameHeader(br)
		if err != nil {
			return err
		}
		if frames == 0 {
			first = h
		}
		if payload, err = readPayload(br, h, payload); err != nil {
			return err
		}
		if h.opcode == 0x8 {
			_, err := c.Write(append([]byte{0x88, byte(len(payload))}, payload...))
			return err
		}
		if !h.fin {
			continue
		}
		if !first.rsv1 {
			return errors.New("a message without RSV1: not compressed")
		}
		message, err := inflate(payload)
		if err != nil {
			return fmt.Errorf("inflating a message: %w", err)
		}
		var out bytes.Buffer
		fw, _ := flate.NewWriter(&out, flate.BestSpeed)
		_, _ = fw.Write(message)
		_ = fw.Flush()
		compressed := bytes.TrimSuffix(out.Bytes(), []byte{0, 0, 0xff, 0xff})
		frame := []byte{0x80 | 0x40 | first.opcode, 127, 0, 0, 0, 0, 0, 0, 0, 0}
		for i := range 8 {
			frame[2+i] = byte(len(compressed) >> (56 - 8*i))
		}
		if _, err := c.Write(append(frame, compressed...)); err != nil {
			return err
		}
		payload, frames = payload[:0], -1
	}
}

// A server may answer the offer of permessage-deflate with
// server_no_context_takeover alone, ignoring the client's
// client_no_context_takeover hint (RFC 7692, section 7.1.1.2): the client
// takes the answer, reports it as the server sent it, and compressed text
// and binary messages go both ways.
func TestDeflateAnswerWithoutClientNoContextTakeoverIsTaken(t *testing.T) {
	t.Parallel()
	const answer = "permessage-deflate; server_no_context_takeover"
	url := extensionPeer(t, &net.ListenConfig{}, answer, deflateEcho)
	c := dialTarget(t, context.Background(), conn.Target{URL: url}, conn.Options{Compression: true})
	assert.Equal(t, []string{answer}, c.hs.Extensions)

	for i, n := range []int{0, 10, 125, 70000, 1 << 20} {
		for _, kind := range []conn.Kind{conn.Text, conn.Binary} {
			want := payload(i, n)
			require.NoError(t, c.Send(kind == conn.Binary, want))
			got := last(c.until(t, kind))
			require.Equal(t, want, got.Data, "%d bytes of kind %d", n, kind)
		}
	}
	c.Close(conn.CloseNormal, "")
	closed := last(c.until(t, conn.Close))
	assert.True(t, closed.Clean)
}

// An answer that keeps the server's context is still refused: the reader
// could not inflate its messages.
func TestDeflateAnswerWithoutServerNoContextTakeoverIsRefused(t *testing.T) {
	t.Parallel()
	url := extensionPeer(t, &net.ListenConfig{}, "permessage-deflate; client_no_context_takeover",
		func(net.Conn, *bufio.Reader) error { return nil })
	_, hs, err := conn.Dial(context.Background(), conn.Target{URL: url}, conn.Options{Compression: true}, func() {})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid compression negotiation")
	assert.Equal(t, []string{"permessage-deflate; client_no_context_takeover"}, hs.Extensions)
}
