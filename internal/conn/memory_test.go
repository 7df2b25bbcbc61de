package conn_test

import (
	"bufio"
	"context"
	"crypto/sha1" // RFC 6455 computes Sec-WebSocket-Accept with SHA-1
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

// maxIdleConnHeap bounds the heap that an open connection holds once it
// has received and handed over a message: gorilla's connection and read
// buffer, our Conn, the TCP socket (both ends: the server in this process
// holds the other), the reader goroutine's descriptor, the channels and
// the queue. It was 7.1 KB with gorilla's default 4 KiB read buffer, and is
// 3.5 KB with the small one.
const maxIdleConnHeap = 4500

// TestAnIdleConnectionHoldsLittleHeap measures what open connections that
// wait for their next message keep on the heap. It is not parallel: it
// measures the whole process.
func TestAnIdleConnectionHoldsLittleHeap(t *testing.T) {
	heap, _ := idleConnCost(t, 500)
	t.Logf("%.0f heap bytes per idle connection", heap)
	assert.Less(t, heap, float64(maxIdleConnHeap), "heap bytes per idle connection")
}

// BenchmarkIdleConnection reports what an open connection that waits for
// its next message costs: heap-B/conn is the live heap it holds (with the
// server's end of its TCP connection, about 0.3 KB), stack-B/conn the
// goroutine stacks in use per connection, after the garbage collector has
// shrunk them.
func BenchmarkIdleConnection(b *testing.B) {
	heap, stack := idleConnCost(b, max(b.N, 100))
	b.ReportMetric(heap, "heap-B/conn")
	b.ReportMetric(stack, "stack-B/conn")
}

// idleConnCost opens n connections to a server that sends each of them one
// 16-byte message and then holds it, takes every message, and returns the
// live heap and the stack in use per connection.
func idleConnCost(tb testing.TB, n int) (heap, stack float64) {
	tb.Helper()
	url := wstest.HoldingListener(tb, upgrade)
	ready := make(chan struct{}, n)
	notify := func() { ready <- struct{}{} }
	heapBefore, stackBefore := memInUse()

	conns := make([]*conn.Conn, n)
	bufs := make([][]conn.Event, n)
	for i := range conns {
		c, _, err := conn.Dial(context.Background(), conn.Target{URL: url}, conn.Options{}, notify)
		require.NoError(tb, err)
		conns[i] = c
	}
	tb.Cleanup(func() {
		for _, c := range conns {
			c.Abort(conn.CloseGoingAway)
			<-c.Done()
		}
	})
	deadline := time.After(waitBound)
	for range n {
		select {
		case <-ready:
		case <-deadline:
			tb.Fatalf("not every connection received its message within %s", waitBound)
		}
	}
	for i, c := range conns {
		bufs[i] = c.Events(nil)
		require.Len(tb, bufs[i], 1)
		require.Equal(tb, conn.Text, bufs[i][0].Kind)
	}

	heapAfter, stackAfter := memInUse()
	runtime.KeepAlive(bufs)
	return float64(heapAfter-heapBefore) / float64(n), float64(stackAfter-stackBefore) / float64(n)
}

// memInUse returns the live heap and the stack in use after collections
// that also shrink the stacks of goroutines (by half each time) that use
// little of them.
func memInUse() (heap, stack uint64) {
	for range 4 {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse
}

// upgrade answers the opening handshake on c and sends a 16-byte text
// message.
func upgrade(c net.Conn) error {
	if err := c.SetDeadline(time.Now().Add(waitBound)); err != nil {
		return err
	}
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return err
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	answer := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
	message := append([]byte{0x81, 16}, "sixteen bytes..."...)
	if _, err := c.Write(append([]byte(answer), message...)); err != nil {
		return err
	}
	return c.SetDeadline(time.Time{})
}

// BenchmarkDial measures opening a connection: its B/op is the garbage of a
// handshake, with the in-process server's half of it (reading the request).
func BenchmarkDial(b *testing.B) {
	url := wstest.HoldingListener(b, upgrade)
	conns := make([]*conn.Conn, 0, b.N)
	b.Cleanup(func() {
		for _, c := range conns {
			c.Abort(conn.CloseGoingAway)
			<-c.Done()
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, _, err := conn.Dial(context.Background(), conn.Target{URL: url, TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}},
			conn.Options{}, func() {})
		require.NoError(b, err)
		conns = append(conns, c)
	}
}
