package conn_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

// waitBound bounds every wait of these tests.
const waitBound = 10 * time.Second

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func startServer(t testing.TB) *echoserver.Server {
	t.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

// client is a connection with the channel its notify function signals and
// the events drained but not yet consumed.
type client struct {
	*conn.Conn
	hs      conn.Handshake
	wake    chan struct{}
	buf     []conn.Event
	pending []conn.Event
}

func dial(t *testing.T, ctx context.Context, url string, opts conn.Options) (*client, conn.Handshake) {
	t.Helper()
	c := dialTarget(t, ctx, conn.Target{URL: url}, opts)
	return c, c.hs
}

func dialTarget(t *testing.T, ctx context.Context, target conn.Target, opts conn.Options) *client {
	t.Helper()
	wake := make(chan struct{}, 1)
	c, hs, err := conn.Dial(ctx, target, opts, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	require.NoError(t, err)
	cl := &client{Conn: c, hs: hs, wake: wake}
	t.Cleanup(func() {
		c.Abort(conn.CloseGoingAway)
		select {
		case <-c.Done():
		case <-time.After(waitBound):
			t.Error("connection not torn down")
		}
	})
	return cl
}

// until returns the events up to and including the first one of kind want.
func (c *client) until(t *testing.T, want conn.Kind) []conn.Event {
	t.Helper()
	var got []conn.Event
	deadline := time.After(waitBound)
	for {
		for len(c.pending) > 0 {
			ev := c.pending[0]
			c.pending = c.pending[1:]
			got = append(got, ev)
			if ev.Kind == want {
				return got
			}
		}
		select {
		case <-c.wake:
		case <-deadline:
			t.Fatalf("no event of kind %d within %s; got %+v", want, waitBound, got)
		}
		c.buf = c.Events(c.buf)
		c.pending = append(c.pending, c.buf...)
	}
}

func last(events []conn.Event) conn.Event { return events[len(events)-1] }

func TestEchoTextAndBinaryInOrder(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, hs := dial(t, context.Background(), srv.URL()+"/echo", conn.Options{})
	assert.Equal(t, http.StatusSwitchingProtocols, hs.Status)
	assert.NotNil(t, hs.RemoteAddr)

	require.NoError(t, c.Send(false, []byte("one")))
	require.NoError(t, c.Send(true, []byte{1, 2, 3}))
	require.NoError(t, c.Send(false, []byte("three")))

	var data []conn.Event
	for len(data) < 3 {
		for _, ev := range c.until(t, conn.Text) {
			if ev.Kind == conn.Text || ev.Kind == conn.Binary {
				data = append(data, ev)
			}
		}
	}
	assert.Equal(t, conn.Text, data[0].Kind)
	assert.Equal(t, "one", string(data[0].Data))
	assert.Equal(t, conn.Binary, data[1].Kind)
	assert.Equal(t, []byte{1, 2, 3}, data[1].Data)
	assert.Equal(t, "three", string(data[2].Data))

	c.Close(conn.CloseNormal, "bye")
	closed := last(c.until(t, conn.Close))
	assert.Equal(t, conn.CloseNormal, closed.Code)
	assert.True(t, closed.Clean)
	<-c.Done()
	assert.ErrorIs(t, c.Send(false, []byte("late")), conn.ErrClosed)
}

func TestSendAfterCloseIsRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	// The peer never answers the close frame: the connection stays closing
	// until the test's cleanup aborts it.
	c, _ := dial(t, context.Background(), srv.URL()+"/noclose", conn.Options{CloseTimeout: time.Hour})
	c.Close(conn.CloseNormal, "")
	assert.ErrorIs(t, c.Send(false, []byte("x")), conn.ErrClosing)
	assert.ErrorIs(t, c.Ping(), conn.ErrClosing)
}

func TestRefusedHandshakeKeepsStatusHeadersAndBody(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, hs, err := conn.Dial(context.Background(), conn.Target{URL: srv.URL() + "/status?code=403&body=nope"},
		conn.Options{}, func() {})
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	assert.Contains(t, err.Error(), "403")
	assert.Equal(t, http.StatusForbidden, hs.Status)
	assert.Equal(t, "nope", string(hs.Body))
	assert.Equal(t, "true", hs.Header.Get("X-Refused"))
}

func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, hs, err := conn.Dial(context.Background(), conn.Target{URL: srv.URL() + "/hang"},
		conn.Options{HandshakeTimeout: 200 * time.Millisecond}, func() {})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out after 200ms")
	assert.Zero(t, hs.Status)
}

func TestCancelledContextEndsTheHandshake(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		_, _, err := conn.Dial(ctx, conn.Target{URL: srv.URL() + "/hang"}, conn.Options{}, func() {})
		errs <- err
	}()
	require.Eventually(t, func() bool { return srv.Stats().Connections > 0 }, waitBound, time.Millisecond)
	cancel()
	select {
	case err := <-errs:
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "interrupted")
	case <-time.After(waitBound):
		t.Fatal("Dial did not return when its context was cancelled")
	}
}

func TestAbandonEndsTheHandshakeOnly(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	abandon, giveUp := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		_, _, err := conn.DialAbandonable(context.Background(), abandon, conn.Target{URL: srv.URL() + "/hang"},
			conn.Options{}, func() {})
		errs <- err
	}()
	require.Eventually(t, func() bool { return srv.Stats().Connections > 0 }, waitBound, time.Millisecond)
	giveUp()
	select {
	case err := <-errs:
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "interrupted", "the VU's context did not end")
	case <-time.After(waitBound):
		t.Fatal("DialAbandonable did not return when abandon was cancelled")
	}
}

func TestAbandonPlaysNoPartOnceOpen(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	abandon, giveUp := context.WithCancel(context.Background())
	wake := make(chan struct{}, 1)
	c, _, err := conn.DialAbandonable(context.Background(), abandon, conn.Target{URL: srv.URL() + "/echo"},
		conn.Options{}, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	require.NoError(t, err)
	cl := &client{Conn: c, wake: wake}
	giveUp()
	require.NoError(t, c.Send(false, []byte("still open")))
	echo := cl.until(t, conn.Text)
	assert.Equal(t, "still open", string(last(echo).Data))
	c.Close(conn.CloseNormal, "")
	assert.Equal(t, conn.CloseNormal, last(cl.until(t, conn.Close)).Code)
	<-c.Done()
}

func TestInvalidOptionsAreRejected(t *testing.T) {
	t.Parallel()
	_, _, err := conn.Dial(context.Background(), conn.Target{URL: "ws://127.0.0.1:1/"},
		conn.Options{MaxMessageSize: -1}, func() {})
	require.ErrorContains(t, err, "maxMessageSize")
}

func TestPeerCloseCodeAndReason(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/close?code=4001&reason=bye", conn.Options{})
	events := c.until(t, conn.Close)
	require.Len(t, events, 1, "a clean close has no error event")
	assert.Equal(t, conn.StatusCode(4001), events[0].Code)
	assert.Equal(t, "bye", events[0].Reason)
	assert.True(t, events[0].Clean)
}

func TestDroppedConnectionIsAbnormal(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"fin", "rst"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t)
			c, _ := dial(t, context.Background(), srv.URL()+"/drop?mode="+mode, conn.Options{})
			events := c.until(t, conn.Close)
			require.Len(t, events, 2)
			assert.Equal(t, conn.Error, events[0].Kind)
			assert.Error(t, events[0].Err)
			assert.Equal(t, conn.CloseAbnormal, events[1].Code)
			assert.False(t, events[1].Clean)
		})
	}
}

func TestCloseHandshakeIsBoundedWhenPeerNeverAnswers(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/noclose", conn.Options{CloseTimeout: 200 * time.Millisecond})
	start := time.Now()
	c.Close(conn.CloseNormal, "")
	events := c.until(t, conn.Close)
	require.Len(t, events, 2)
	assert.ErrorContains(t, events[0].Err, "timed out")
	assert.Equal(t, conn.CloseAbnormal, events[1].Code)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
}

func TestMessageOverLimitClosesWith1009(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/big?size=4096", conn.Options{MaxMessageSize: 1024})
	events := c.until(t, conn.Close)
	require.Len(t, events, 2)
	assert.ErrorContains(t, events[0].Err, "maxMessageSize (1024 bytes)")
	assert.Equal(t, conn.CloseMessageTooBig, events[1].Code)
}

func TestInvalidUTF8ClosesWith1007(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/invalid-utf8", conn.Options{})
	events := c.until(t, conn.Close)
	require.Len(t, events, 2)
	assert.ErrorContains(t, events[0].Err, "UTF-8")
	assert.Equal(t, conn.CloseInvalidPayload, events[1].Code)
}

func TestFragmentedMessageArrivesWhole(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/fragmented?parts=4&size=5000", conn.Options{})
	events := c.until(t, conn.Text)
	assert.Len(t, last(events).Data, 5000)
}

func TestContextEndTearsDownAtOnce(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := dial(t, ctx, srv.URL()+"/noclose", conn.Options{CloseTimeout: time.Hour})
	cancel()
	select {
	case <-c.Done():
	case <-time.After(waitBound):
		t.Fatal("connection outlived its context")
	}
	closed := last(c.until(t, conn.Close))
	assert.Equal(t, conn.CloseGoingAway, closed.Code)
}

func TestPingRoundTrip(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/echo", conn.Options{})
	require.NoError(t, c.Ping())
	pong := last(c.until(t, conn.Pong))
	assert.True(t, pong.Matched)
	assert.Positive(t, pong.RTT)
}

func TestPeerPingIsReported(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/ping?payload=hello", conn.Options{})
	ping := last(c.until(t, conn.Ping))
	assert.Equal(t, "hello", string(ping.Data))
}

func TestUnsolicitedPongIsNotMatched(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/pong", conn.Options{})
	pong := last(c.until(t, conn.Pong))
	assert.False(t, pong.Matched)
}

func TestSubprotocolIsNegotiated(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, hs := dial(t, context.Background(), srv.URL()+"/echo?protocols=chat,json",
		conn.Options{Subprotocols: []string{"json", "chat"}})
	assert.Equal(t, "json", hs.Subprotocol)
}

func TestInboundQueueIsBounded(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	const bound = 8
	c, _ := dial(t, context.Background(), srv.URL()+"/push?size=512", conn.Options{QueueMessages: bound})
	received := 0
	deadline := time.After(waitBound)
	for received < 20*bound {
		select {
		case <-c.wake:
		case <-deadline:
			t.Fatalf("flood stalled after %d messages", received)
		}
		c.buf = c.Events(c.buf)
		require.LessOrEqual(t, len(c.buf), bound)
		received += len(c.buf)
	}
}

func TestWriteQueueIsBounded(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/slowread", conn.Options{WriteQueueBytes: 1 << 20})
	chunk := []byte(strings.Repeat("x", 64<<10))
	var err error
	for i := 0; i < 10_000 && err == nil; i++ {
		err = c.Send(true, chunk)
	}
	require.ErrorIs(t, err, conn.ErrWriteQueueFull)
	// The refusal reports what waited when it was made: too much for one more
	// chunk. The writer may have drained the queue into the kernel since, so
	// Buffered is only bounded, not necessarily above zero.
	var waiting, limit int
	_, scanErr := fmt.Sscanf(err.Error(),
		conn.ErrWriteQueueFull.Error()+": %d bytes are waiting and the limit is %d", &waiting, &limit)
	require.NoError(t, scanErr, "parsing %q", err)
	assert.Equal(t, 1<<20, limit)
	assert.Greater(t, waiting+len(chunk), limit)
	assert.LessOrEqual(t, waiting, limit)
	assert.LessOrEqual(t, c.Buffered(), int64(1<<20))
}

func TestURLWithoutHostIsRefusedBeforeDialling(t *testing.T) {
	t.Parallel()
	_, _, err := conn.Dial(context.Background(), conn.Target{URL: "ws:///path"}, conn.Options{}, func() {})
	require.ErrorContains(t, err, `websocket: url "ws:///path" has no host`)
}

func TestDialErrorWithoutServer(t *testing.T) {
	t.Parallel()
	_, hs, err := conn.Dial(context.Background(), conn.Target{URL: "ws://127.0.0.1:1/"}, conn.Options{}, func() {})
	require.Error(t, err)
	assert.Zero(t, hs.Status)
	assert.Nil(t, hs.RemoteAddr)
	var wsErr *websocket.CloseError
	assert.False(t, errors.As(err, &wsErr))
}

func TestCloseTimesOutWhenThePeerReadsNothingOfTheQueue(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/slowread", conn.Options{CloseTimeout: 200 * time.Millisecond})
	for range 16 {
		require.NoError(t, c.Send(true, make([]byte, 1<<20)))
	}
	c.Close(conn.CloseNormal, "")
	select {
	case <-c.Done():
	case <-time.After(3 * waitBound): // the peer is given 5s, twice at most
		t.Fatal("the close of a stalled peer did not end")
	}
	events := c.until(t, conn.Close)
	require.Len(t, events, 2)
	assert.ErrorContains(t, events[0].Err, "the peer read none of the")
	assert.Equal(t, conn.CloseAbnormal, events[1].Code)
}

// Send and SendWait copy the message: the caller may reuse its buffer at
// once, whatever the writer has done with the queue.
func TestSendCopiesTheMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c, _ := dial(t, context.Background(), srv.URL()+"/echo", conn.Options{})
	buf := make([]byte, 64<<10)
	var want [][]byte
	for i := range 8 {
		for j := range buf {
			buf[j] = byte(i + j)
		}
		want = append(want, append([]byte(nil), buf...))
		if i%2 == 0 {
			require.NoError(t, c.Send(true, buf))
		} else {
			require.NoError(t, c.SendWait(context.Background(), true, buf))
		}
	}
	for i := range want {
		got := c.until(t, conn.Binary)
		require.Equal(t, want[i], last(got).Data, "message %d", i)
	}
}

// A deadline that cuts the server's answer short can surface as gorilla's
// "malformed HTTP response": the error still names the timeout, every time.
func TestHandshakeTimeoutCuttingTheAnswerSaysSo(t *testing.T) {
	t.Parallel()
	url := wstest.DribblingListener(t, "HTTP/1.1 101 Switching Protocols\r\n", 20*time.Millisecond)
	for range 20 {
		_, _, err := conn.Dial(context.Background(), conn.Target{URL: url},
			conn.Options{HandshakeTimeout: 100 * time.Millisecond}, func() {})
		require.ErrorIs(t, err, conn.ErrHandshakeTimeout)
		require.ErrorContains(t, err, "websocket handshake timed out after 100ms (handshakeTimeout)")
	}
}
