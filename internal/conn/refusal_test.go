package conn_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// Once a connection takes no more messages, Send and Ping say why.
func TestSendAndPingSayWhyTheConnectionTakesNoMore(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	stopped := errors.New("the test stopped the VU")
	for _, tc := range []struct {
		name  string
		route string
		end   func(c *client, cancel context.CancelCauseFunc)
		want  []error
		text  string
		code  conn.StatusCode
	}{
		{"dropped", "/drop?mode=fin", nil, []error{conn.ErrClosed}, "the connection was dropped without a close frame", -1},
		{"peer closed", "/close?code=4001&reason=bye", nil, []error{conn.ErrClosed},
			"the peer closed it: websocket: close 4001: bye", 4001},
		{"Close called", "/echo", func(c *client, _ context.CancelCauseFunc) { c.Close(conn.CloseNormal, "") },
			[]error{conn.ErrClosed}, "Close was called", -1},
		{"interrupted", "/echo", func(_ *client, cancel context.CancelCauseFunc) { cancel(stopped) },
			[]error{conn.ErrClosed, stopped}, "the VU stopped: the test stopped the VU", -1},
		{"aborted", "/echo", func(c *client, _ context.CancelCauseFunc) { c.Abort(conn.CloseGoingAway) },
			[]error{conn.ErrClosed}, "aborted with code 1001 (going away)", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			c, _ := dial(t, ctx, srv.URL()+tc.route, conn.Options{})
			if tc.end != nil {
				tc.end(c, cancel)
			}
			c.until(t, conn.Close)
			<-c.Done()
			for name, err := range map[string]error{"Send": c.Send(false, []byte("x")), "Ping": c.Ping()} {
				for _, want := range tc.want {
					require.ErrorIs(t, err, want, name)
				}
				assert.ErrorContains(t, err, tc.text, name)
				assert.Equal(t, tc.code, conn.CloseStatus(err), name)
			}
		})
	}
}

func TestSendWhileClosingSaysCloseWasCalled(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	// The peer never answers the close frame: the connection stays closing
	// until the test's cleanup aborts it. A peer that answers could complete
	// the close handshake before Send, which then reports a closed connection.
	c, _ := dial(t, context.Background(), srv.URL()+"/noclose", conn.Options{CloseTimeout: time.Hour})
	c.Close(conn.CloseNormal, "")
	err := c.Send(false, []byte("x"))
	require.ErrorIs(t, err, conn.ErrClosing)
	assert.EqualError(t, err, "websocket is closing: Close was called")
}
