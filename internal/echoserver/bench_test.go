package echoserver_test

import (
	"bytes"
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

// BenchmarkPushFlood is one 64-byte message of an unlimited /push read by
// the client.
func BenchmarkPushFlood(b *testing.B) {
	srv, err := echoserver.Start(echoserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Close() }()
	conn, resp, err := websocket.DefaultDialer.DialContext(b.Context(), srv.URL()+"/push?size=64", nil)
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
}
