package conn_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// BenchmarkReceive measures a message from the network to the consumer:
// the server floods b.N 64-byte messages, the benchmark drains them.
func BenchmarkReceive(b *testing.B) {
	srv := startServer(b).URL()
	wake := make(chan struct{}, 1)
	c, _, err := conn.Dial(context.Background(), conn.Target{URL: fmt.Sprintf("%s/push?count=%d&size=64", srv, b.N)},
		conn.Options{}, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	var buf []conn.Event
	for received := 0; received < b.N; {
		<-wake
		buf = c.Events(buf)
		for _, ev := range buf {
			if ev.Kind == conn.Text {
				received++
			}
		}
	}
	b.StopTimer()
	c.Abort(conn.CloseGoingAway)
	<-c.Done()
}

// BenchmarkSend measures queueing and writing 64-byte messages.
func BenchmarkSend(b *testing.B) {
	srv := startServer(b).URL()
	c, _, err := conn.Dial(context.Background(), conn.Target{URL: srv + "/push?count=1&size=1"},
		conn.Options{WriteQueueBytes: 1 << 30}, func() {})
	require.NoError(b, err)
	msg := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Send(false, msg); err != nil {
			b.Fatal(err)
		}
	}
	c.Close(conn.CloseNormal, "")
	<-c.Done()
}

// BenchmarkEchoRoundTrip measures sequential round trips of a message:
// queue it, and wait for the server's echo before the next one. The writer
// goes idle between two messages, as in a request/response script; the
// large size shows what sending costs in copies and garbage.
func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"32B", 32}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			srv := startServer(b).URL()
			wake := make(chan struct{}, 1)
			c, _, err := conn.Dial(context.Background(), conn.Target{URL: srv + "/echo"}, conn.Options{}, func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			})
			require.NoError(b, err)
			msg := make([]byte, size.bytes)
			var buf []conn.Event
			b.SetBytes(int64(size.bytes))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Send(true, msg); err != nil {
					b.Fatal(err)
				}
				for echoed := false; !echoed; {
					<-wake
					buf = c.Events(buf)
					for _, ev := range buf {
						echoed = echoed || ev.Kind == conn.Binary
					}
				}
			}
			b.StopTimer()
			c.Abort(conn.CloseGoingAway)
			<-c.Done()
		})
	}
}
