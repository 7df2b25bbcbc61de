package echoserver_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// BenchmarkEcho is one 64-byte text message to /echo and back, client and
// server in this process.
func BenchmarkEcho(b *testing.B) {
	srv, err := echoserver.Start(echoserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	conn, resp, err := websocket.DefaultDialer.DialContext(b.Context(), srv.URL()+"/echo", nil)
	if err != nil {
		b.Fatal(err)
	}
	_ = resp.Body.Close()
	defer func() { _ = conn.Close() }()
	msg := bytes.Repeat([]byte{'e'}, 64)
	b.ReportAllocs()
	for b.Loop() {
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			b.Fatal(err)
		}
		if _, _, err := conn.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPushFlood is one message of an unlimited /push read by the
// client, reported as msgs/s too. The gorilla client reads each message with
// ReadMessage, as k6 does; the raw client only parses frame headers, to show
// what the server alone can push; deflate negotiates permessage-deflate,
// which the server sends through gorilla one message per write.
func BenchmarkPushFlood(b *testing.B) {
	for _, size := range []int{16, 64, 1024} {
		b.Run(fmt.Sprintf("gorilla/size=%d", size), func(b *testing.B) {
			benchFloodGorilla(b, size, false)
		})
	}
	b.Run("raw/size=64", func(b *testing.B) {
		benchFloodRaw(b, 64)
	})
	b.Run("deflate/size=64", func(b *testing.B) {
		benchFloodGorilla(b, 64, true)
	})
}

// startBenchServer starts a server; it is closed when the benchmark ends.
func startBenchServer(b *testing.B) *echoserver.Server {
	b.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	return srv
}

func benchFloodGorilla(b *testing.B, size int, deflate bool) {
	srv := startBenchServer(b)
	d := websocket.Dialer{EnableCompression: deflate}
	conn, resp, err := d.DialContext(b.Context(), fmt.Sprintf("%s/push?size=%d", srv.URL(), size), nil)
	if err != nil {
		b.Fatal(err)
	}
	_ = resp.Body.Close()
	defer func() { _ = conn.Close() }()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := conn.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchFloodRaw(b *testing.B, size int) {
	srv := startBenchServer(b)
	conn, resp, err := websocket.DefaultDialer.DialContext(b.Context(), fmt.Sprintf("%s/push?size=%d", srv.URL(), size), nil)
	if err != nil {
		b.Fatal(err)
	}
	_ = resp.Body.Close()
	defer func() { _ = conn.Close() }()
	// Nothing is buffered in gorilla yet: the server sends only after the
	// handshake, which gorilla reads alone.
	br := bufio.NewReaderSize(conn.NetConn(), 256<<10)
	b.SetBytes(int64(size))
	for b.Loop() {
		if err := skipFrame(br); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// skipFrame reads past one unmasked frame.
func skipFrame(br *bufio.Reader) error {
	head, err := br.Peek(2)
	if err != nil {
		return fmt.Errorf("read frame header: %w", err)
	}
	n, hl := int(head[1]&0x7f), 2
	switch n {
	case 126:
		hl = 4
	case 127:
		hl = 10
	}
	if head, err = br.Peek(hl); err != nil {
		return fmt.Errorf("read frame length: %w", err)
	}
	switch hl {
	case 4:
		n = int(binary.BigEndian.Uint16(head[2:]))
	case 10:
		n = int(binary.BigEndian.Uint64(head[2:]))
	}
	if _, err := br.Discard(hl + n); err != nil {
		return fmt.Errorf("read frame: %w", err)
	}
	return nil
}
