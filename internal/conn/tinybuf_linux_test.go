package conn_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// socketDialer dials TCP connections whose socket buffers are set from the
// start, before the window is advertised; 0 keeps the system's default.
type socketDialer struct{ rcvbuf, sndbuf int }

func (d socketDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return setBuffers(rc, d.rcvbuf, d.sndbuf)
	}}
	return nd.DialContext(ctx, network, addr)
}

// setBuffers sets the receive and send buffers of a socket; 0 keeps one.
func setBuffers(rc syscall.RawConn, rcvbuf, sndbuf int) error {
	var err error
	if cerr := rc.Control(func(fd uintptr) {
		if rcvbuf > 0 {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		}
		if sndbuf > 0 && err == nil {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, sndbuf)
		}
	}); cerr != nil {
		return cerr
	}
	return err
}

// A burst far larger than the queues and socket buffers, sent to an echo
// without draining the events meanwhile, goes through: the replies are taken
// while SendWait waits, so the echo never stops reading.
func TestSendWaitBurstToAnEchoIsNotStuck(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := dialTarget(t, context.Background(), conn.Target{URL: srv.URL() + "/echo", Dialer: socketDialer{tinyBuffers, tinyBuffers}},
		conn.Options{WriteQueueBytes: 256 << 10, QueueBytes: 64 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), 3*waitBound)
	defer cancel()
	const n, size = 128, 256 << 10
	for i := range n {
		msg := make([]byte, size)
		msg[0] = byte(i)
		require.NoError(t, c.SendWait(ctx, true, msg), "message %d", i)
	}
	for i := range n {
		ev := last(c.until(t, conn.Binary))
		require.Len(t, ev.Data, size)
		require.Equal(t, byte(i), ev.Data[0], "in order")
	}
}

// slowReader is a server with a receive buffer of 64 KiB that reads at most
// 16 KiB a millisecond: a healthy peer, slower than the client. It sends the
// bytes it read on got when the client closed.
func startSlowReader(t *testing.T) (url string, got <-chan int) {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return setBuffers(rc, 64<<10, 0)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	total := make(chan int, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = ws.Close() }()
		n := 0
		buf := make([]byte, 16<<10)
		for {
			_, msg, err := ws.NextReader()
			if err != nil {
				total <- n
				return
			}
			for err == nil {
				var k int
				k, err = msg.Read(buf)
				n += k
				time.Sleep(time.Millisecond) // the pace of the reader, not a synchronisation
			}
		}
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return "ws" + srv.URL[len("http"):], total
}

// closeTimeout counts from the moment our close frame is on the wire: the
// messages queued before it reach a slow but healthy peer whole, and the
// close handshake completes, though the transfer outlasts closeTimeout.
func TestCloseTimeoutCountsFromTheCloseFrame(t *testing.T) {
	t.Parallel()
	url, got := startSlowReader(t)
	c := dialTarget(t, context.Background(), conn.Target{URL: url, Dialer: socketDialer{sndbuf: tinyBuffers}},
		conn.Options{CloseTimeout: 300 * time.Millisecond})
	const n, size = 10, 1 << 20
	for range n {
		require.NoError(t, c.Send(true, make([]byte, size)))
	}
	c.Close(conn.CloseNormal, "done")
	select {
	case <-c.Done():
	case <-time.After(6 * waitBound): // the transfer takes a while on a busy machine
		t.Fatal("the close did not end")
	}
	events := c.until(t, conn.Close)
	require.Len(t, events, 1, "no error event: %+v", events)
	assert.Equal(t, conn.CloseNormal, events[0].Code)
	assert.True(t, events[0].Clean)
	select {
	case total := <-got:
		assert.Equal(t, n*size, total, "every queued byte reached the peer")
	case <-time.After(waitBound):
		t.Fatal("the server did not see the end of the connection")
	}
}
