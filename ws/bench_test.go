package ws_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
	"github.com/loadkit/xk6-ws/ws"
)

// BenchmarkDelivery measures a message from the network to a message
// handler: the server floods b.N 64-byte messages to one socket.
func BenchmarkDelivery(b *testing.B) {
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, srv.Close()) })
	vu := wstest.NewVU(b, ws.New(), "ws")
	vu.MoveToVU()
	script := fmt.Sprintf(`
		let received = 0;
		ws.connect(%q, (socket) => {
			socket.on("message", () => { if (++received === %d) { socket.close(); } });
		});
	`, fmt.Sprintf("%s/push?count=%d&size=64", srv.URL(), b.N), b.N)
	b.ReportAllocs()
	b.ResetTimer()
	_, err = vu.Run(script)
	require.NoError(b, err)
}

// BenchmarkEchoRoundTrip measures one send and its echo, in sequence.
func BenchmarkEchoRoundTrip(b *testing.B) {
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, srv.Close()) })
	vu := wstest.NewVU(b, ws.New(), "ws")
	vu.MoveToVU()
	script := fmt.Sprintf(`
		let left = %d;
		ws.connect(%q, (socket) => {
			socket.on("open", () => socket.send("0123456789abcdef0123456789abcdef"));
			socket.on("message", (m) => { if (--left === 0) { socket.close(); } else { socket.send(m); } });
		});
	`, b.N, srv.URL()+"/echo")
	b.ReportAllocs()
	b.ResetTimer()
	_, err = vu.Run(script)
	require.NoError(b, err)
}

// BenchmarkSession measures a whole ws.connect session as bench/churn_ws.js
// runs it: connect, send 32 bytes, receive the echo, close.
func BenchmarkSession(b *testing.B) {
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, srv.Close()) })
	vu := wstest.NewVU(b, ws.New(), "ws")
	vu.MoveToVU()
	// Drain the samples as k6's engine does, so that a long run never
	// fills the channel.
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case <-vu.Samples:
			case <-stop:
				return
			}
		}
	}()
	defer func() { close(stop); <-drained }()
	script := fmt.Sprintf(`
		for (let i = 0; i < %d; i++) {
			let echoed = false;
			ws.connect(%q, null, (socket) => {
				socket.on("open", () => socket.send("0123456789abcdef0123456789abcdef"));
				socket.on("message", () => { echoed = true; socket.close(); });
			});
			if (!echoed) { throw new Error("session " + i + " got no echo"); }
		}
	`, b.N, srv.URL()+"/echo")
	b.ReportAllocs()
	b.ResetTimer()
	_, err = vu.Run(script)
	require.NoError(b, err)
}
