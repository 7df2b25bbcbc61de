package conn_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// deadlineCountingDialer dials TCP and counts the write deadlines set on the
// connections it returns.
type deadlineCountingDialer struct {
	sets atomic.Int64
}

func (d *deadlineCountingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &deadlineCountingConn{Conn: nc, sets: &d.sets}, nil
}

type deadlineCountingConn struct {
	net.Conn
	sets *atomic.Int64
}

func (c *deadlineCountingConn) SetWriteDeadline(t time.Time) error {
	c.sets.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

func (c *deadlineCountingConn) SetDeadline(t time.Time) error {
	c.sets.Add(1)
	return c.Conn.SetDeadline(t)
}

// gorilla sets the write deadline before every frame; the connection must
// pass on only changes, since each one is a call into the runtime's poller.
func TestWriteDeadlineIsSetOnlyWhenItChanges(t *testing.T) {
	srv := startServer(t)
	dialer := &deadlineCountingDialer{}
	c := dialTarget(t, context.Background(), conn.Target{URL: srv.URL() + "/echo", Dialer: dialer}, conn.Options{})
	afterHandshake := dialer.sets.Load()

	const messages = 50
	for i := range messages {
		require.NoError(t, c.Send(false, []byte{byte('a' + i%26)}))
		c.until(t, conn.Text)
	}

	assert.Equal(t, afterHandshake, dialer.sets.Load(), "deadlines set while sending %d messages", messages)
}
