package conn_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// peerBuffers is the size of the socket buffers between a client and a peer
// that must see a large message while most of it is still unwritten.
const peerBuffers = 64 << 10

// pingedMessage is what a peer that pinged during a message saw.
type pingedMessage struct {
	message []byte // the message, inflated
	frames  int    // its frames
	pongAt  int    // the frames of it that came before the pong; -1: no pong
}

// pingingPeer reads a message from the client and pings it when the
// message's first frame starts; it then reads on, and reports the message
// and where the pong came, once the message ended and the pong came.
func pingingPeer(t *testing.T, extensions string, report chan<- pingedMessage) (url string) {
	t.Helper()
	lc := &net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return setBuffers(rc, peerBuffers, 0)
	}}
	return extensionPeer(t, lc, extensions, func(c net.Conn, br *bufio.Reader) error {
		got := pingedMessage{pongAt: -1}
		var payload []byte
		done := false
		for !done || got.pongAt < 0 {
			if err := c.SetReadDeadline(time.Now().Add(waitBound)); err != nil {
				return err
			}
			h, err := readFrameHeader(br)
			if err != nil {
				return fmt.Errorf("%+v, %d bytes: %w", got, len(payload), err)
			}
			if got.frames == 0 && h.opcode != 0x9 && h.opcode != 0xa {
				if _, err := c.Write([]byte{0x89, 4, 'p', 'i', 'n', 'g'}); err != nil {
					return err
				}
			}
			switch h.opcode {
			case 0xa: // the pong
				if _, err := readPayload(br, h, nil); err != nil {
					return err
				}
				got.pongAt = got.frames
			case 0x0, 0x1, 0x2:
				payload, err = readPayload(br, h, payload)
				if err != nil {
					return err
				}
				got.frames++
				done = h.fin
			default:
				return fmt.Errorf("an unexpected frame of opcode %d", h.opcode)
			}
		}
		if extensions != "" {
			var err error
			if payload, err = inflate(payload); err != nil {
				return err
			}
		}
		got.message = payload
		report <- got
		return nil
	})
}

// A ping that comes while a large message is being written is answered
// between two of its frames: the pong does not wait for the whole message,
// and the message arrives whole, with or without compression. Small socket
// buffers keep most of the message unwritten when the ping comes; the peer
// waits at most waitBound for each frame.
func TestPongGoesOutBetweenTheFramesOfALargeMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		extensions string
		size       int // compressing takes seconds a MiB under the race detector
	}{
		{"plain", "", 32 << 20},
		{"compressed", "permessage-deflate; server_no_context_takeover; client_no_context_takeover", 4 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			report := make(chan pingedMessage, 1)
			url := pingingPeer(t, tc.extensions, report)
			c := dialTarget(t, context.Background(), conn.Target{URL: url, Dialer: socketDialer{0, peerBuffers}}, conn.Options{Compression: tc.extensions != ""})
			message := make([]byte, tc.size)
			rng := rand.NewChaCha8([32]byte{19}) // random bytes: compression leaves them as large
			_, _ = rng.Read(message)
			require.NoError(t, c.Send(true, message))

			var got pingedMessage
			select {
			case got = <-report:
			case <-time.After(3 * waitBound):
				t.Fatalf("the peer did not get the message and the pong within %s", 3*waitBound)
			}
			assert.Less(t, got.pongAt, got.frames, "the pong came after all %d frames of the message", got.frames)
			assert.True(t, bytes.Equal(message, got.message), "the message arrived changed")
			events := c.until(t, conn.Ping)
			for _, ev := range events {
				assert.NotEqual(t, conn.Error, ev.Kind, "error: %v", ev.Err)
				assert.NotEqual(t, conn.Close, ev.Kind)
			}
		})
	}
}

// The close frame of Abort, sent while a large message is being written,
// goes out between two of its frames, and nothing follows it.
func TestAbortClosesBetweenTheFramesOfALargeMessage(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	type seen struct {
		frames, after int
		closeCode     int
		fin           bool
	}
	report := make(chan seen, 1)
	lc := &net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return setBuffers(rc, peerBuffers, 0)
	}}
	url := extensionPeer(t, lc, "", func(c net.Conn, br *bufio.Reader) error {
		var s seen
		defer func() { report <- s }()
		for {
			if err := c.SetReadDeadline(time.Now().Add(waitBound)); err != nil {
				return err
			}
			h, err := readFrameHeader(br)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			payload, err := readPayload(br, h, nil)
			if err != nil {
				return err
			}
			switch {
			case s.closeCode != 0:
				s.after++
			case h.opcode == 0x8 && len(payload) >= 2:
				s.closeCode = int(binary.BigEndian.Uint16(payload))
			default:
				s.frames++
				s.fin = h.fin
				if s.frames == 1 {
					close(started)
				}
			}
		}
	})
	c := dialTarget(t, context.Background(), conn.Target{URL: url, Dialer: socketDialer{0, peerBuffers}}, conn.Options{})
	require.NoError(t, c.Send(true, make([]byte, 32<<20)))
	select {
	case <-started:
	case <-time.After(waitBound):
		t.Fatalf("no frame of the message within %s", waitBound)
	}
	c.Abort(conn.CloseGoingAway)

	var s seen
	select {
	case s = <-report:
	case <-time.After(3 * waitBound):
		t.Fatalf("the peer did not see the connection end within %s", 3*waitBound)
	}
	assert.Equal(t, int(conn.CloseGoingAway), s.closeCode, "the close frame's code")
	assert.False(t, s.fin, "the whole message went out before the close frame, in %d frames", s.frames)
	assert.Zero(t, s.after, "frames after the close frame")
}
