package conn_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha1" // RFC 6455 computes Sec-WebSocket-Accept with SHA-1
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// extensionPeer accepts one connection on a listener of lc on 127.0.0.1,
// answers its handshake with the Sec-WebSocket-Extensions header extensions
// (none when empty), and hands it to serve, with a deadline of waitBound
// that serve may move on.
func extensionPeer(t *testing.T, lc *net.ListenConfig, extensions string,
	serve func(c net.Conn, br *bufio.Reader) error,
) (url string) {
	t.Helper()
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		if err := c.SetDeadline(time.Now().Add(waitBound)); err != nil {
			t.Errorf("peer: %v", err)
			return
		}
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Errorf("peer: %v", err)
			return
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		answer := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n"
		if extensions != "" {
			answer += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
		}
		if _, err := io.WriteString(c, answer+"\r\n"); err != nil {
			t.Errorf("peer: %v", err)
			return
		}
		if err := serve(c, br); err != nil {
			t.Errorf("peer: %v", err)
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

// frameHeader is the header of a frame a client wrote.
type frameHeader struct {
	fin    bool
	rsv1   bool
	opcode byte
	length uint64
	key    [4]byte
}

// readFrameHeader reads the header of a client's frame.
func readFrameHeader(r io.Reader) (frameHeader, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return frameHeader{}, fmt.Errorf("reading a frame header: %w", err)
	}
	h := frameHeader{fin: head[0]&0x80 != 0, rsv1: head[0]&0x40 != 0, opcode: head[0] & 0x0f, length: uint64(head[1] & 0x7f)}
	if head[1]&0x80 == 0 {
		return h, fmt.Errorf("an unmasked frame from the client")
	}
	if n := map[uint64]int{126: 2, 127: 8}[h.length]; n > 0 {
		ext := make([]byte, 8)
		if _, err := io.ReadFull(r, ext[8-n:]); err != nil {
			return h, fmt.Errorf("reading a frame length: %w", err)
		}
		h.length = binary.BigEndian.Uint64(ext)
	}
	if _, err := io.ReadFull(r, h.key[:]); err != nil {
		return h, fmt.Errorf("reading a mask key: %w", err)
	}
	return h, nil
}

// readPayload reads the payload of the frame h, unmasked, appending it to dst.
func readPayload(r io.Reader, h frameHeader, dst []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, h.length)...)
	if _, err := io.ReadFull(r, dst[start:]); err != nil {
		return dst, fmt.Errorf("reading a payload of %d bytes: %w", h.length, err)
	}
	unmask(dst[start:], h.key)
	return dst, nil
}

// unmask unmasks p, masked with key, in blocks: a byte at a time takes
// seconds for a large message under the race detector.
func unmask(p []byte, key [4]byte) {
	stream := bytes.Repeat(key[:], 1024)
	for len(p) > 0 {
		n := subtle.XORBytes(p, p, stream)
		p = p[n:]
	}
}

// inflate decompresses the payload of a permessage-deflate message.
func inflate(compressed []byte) ([]byte, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(compressed), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
	var out bytes.Buffer
	_, err := io.Copy(&out, r)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) { // the stream has no final block
		return nil, err
	}
	return out.Bytes(), nil
}
