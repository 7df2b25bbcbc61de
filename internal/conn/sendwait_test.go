package conn_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// tinyBuffers bounds the socket buffers on both ends of a gated connection,
// so that the kernel takes only a small part of a queued message while the
// server does not read.
const tinyBuffers = 16 << 10

// gatedServer accepts one WebSocket connection and reads nothing from it
// until release is closed; then it reads every message, sending the total
// number of bytes read on got when the client closes. Dial it with
// tinyDialer.
type gatedServer struct {
	url     string
	release chan struct{}
	stop    chan struct{}
	got     chan int
	client  *net.TCPConn
}

func startGatedServer(t *testing.T) *gatedServer {
	t.Helper()
	g := &gatedServer{release: make(chan struct{}), stop: make(chan struct{}), got: make(chan int, 1)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = ws.Close() }()
		select {
		case <-g.release:
		case <-g.stop:
			return
		}
		if tc, ok := ws.NetConn().(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4 << 20)
		}
		total := 0
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				g.got <- total
				return
			}
			total += len(data)
		}
	}))
	srv.Listener = tinyListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(g.stop) }) // runs first: ends a handler still gated
	g.url = "ws" + srv.URL[len("http"):]
	return g
}

type tinyListener struct{ net.Listener }

func (l tinyListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(tinyBuffers)
	}
	return nc, err
}

// tinyDialer dials a TCP connection with a small send buffer and keeps it.
type tinyDialer struct{ tc chan *net.TCPConn }

func (d tinyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(tinyBuffers)
		d.tc <- tc
	}
	return nc, err
}

func dialGated(t *testing.T, g *gatedServer, opts conn.Options) *client {
	t.Helper()
	d := tinyDialer{tc: make(chan *net.TCPConn, 1)}
	c := dialTarget(t, context.Background(), conn.Target{URL: g.url, Dialer: d}, opts)
	g.client = <-d.tc
	return c
}

// open lets the server read, with socket buffers of the usual size.
func (g *gatedServer) open() {
	_ = g.client.SetWriteBuffer(4 << 20)
	close(g.release)
}

// fill sends chunks with Send until the write queue refuses one.
func fill(t *testing.T, c *client, chunk []byte) {
	t.Helper()
	for i := 0; i < 100_000; i++ {
		if err := c.Send(true, chunk); err != nil {
			require.ErrorIs(t, err, conn.ErrWriteQueueFull)
			return
		}
	}
	t.Fatal("the write queue never filled up")
}

func TestSendWaitWaitsForRoomAndResumesWhenTheWriterDrains(t *testing.T) {
	t.Parallel()
	srv := startGatedServer(t)
	c := dialGated(t, srv, conn.Options{WriteQueueBytes: 1 << 20})
	chunk := make([]byte, 256<<10)
	fill(t, c, chunk)
	queued := c.Buffered()

	require.ErrorIs(t, c.Send(true, chunk), conn.ErrWriteQueueFull)

	// The server starts reading a little later, so that a SendWait that
	// does not wait returns before it.
	var released atomic.Bool
	time.AfterFunc(50*time.Millisecond, func() {
		released.Store(true)
		srv.open()
	})
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	require.NoError(t, c.SendWait(ctx, true, chunk))
	assert.True(t, released.Load(), "SendWait returned while the queue was full")
	c.Close(conn.CloseNormal, "")
	assert.True(t, last(c.until(t, conn.Close)).Clean)
	select {
	case got := <-srv.got:
		assert.Positive(t, queued)
		assert.Zero(t, got%len(chunk), "whole messages only")
		assert.GreaterOrEqual(t, got, int(queued)+len(chunk), "the waiting message was delivered after the queued ones")
	case <-time.After(waitBound):
		t.Fatal("the server did not see the close")
	}
}

func TestSendWaitReturnsWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	srv := startGatedServer(t)
	c := dialGated(t, srv, conn.Options{WriteQueueBytes: 1 << 20})
	chunk := make([]byte, 256<<10)
	fill(t, c, chunk)
	queued := c.Buffered()

	cause := errors.New("the VU was interrupted")
	ctx, cancel := context.WithCancelCause(context.Background())
	errs := make(chan error, 1)
	go func() { errs <- c.SendWait(ctx, true, chunk) }()
	cancel(cause)
	select {
	case err := <-errs:
		require.ErrorIs(t, err, cause)
		assert.ErrorContains(t, err, "waiting for room in the write queue")
	case <-time.After(waitBound):
		t.Fatal("SendWait outlived its context")
	}
	assert.Equal(t, queued, c.Buffered(), "nothing was queued")
}

func TestSendWaitReturnsWhenTheConnectionGoesAway(t *testing.T) {
	t.Parallel()
	srv := startGatedServer(t)
	c := dialGated(t, srv, conn.Options{WriteQueueBytes: 1 << 20})
	chunk := make([]byte, 256<<10)
	fill(t, c, chunk)

	errs := make(chan error, 1)
	go func() { errs <- c.SendWait(context.Background(), true, chunk) }()
	c.Abort(conn.CloseGoingAway)
	select {
	case err := <-errs:
		require.ErrorIs(t, err, conn.ErrClosed)
	case <-time.After(waitBound):
		t.Fatal("SendWait outlived its connection")
	}
	c.until(t, conn.Close)
}

func TestSendWaitDoesNotWaitWhenThereIsRoom(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/echo", conn.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, c.SendWait(ctx, false, []byte("room")), "a message that fits is queued whatever ctx says")
	assert.Equal(t, "room", string(last(c.until(t, conn.Text)).Data))
}
