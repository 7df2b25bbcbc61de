package conn_test

import (
	"context"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// tinySocketDialer dials TCP connections whose socket buffers are small from
// the start, before the window is advertised.
type tinySocketDialer struct{}

func (tinySocketDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) {
			if err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, tinyBuffers); err == nil {
				err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, tinyBuffers)
			}
		}); cerr != nil {
			return cerr //nolint:wrapcheck // the runtime's own error
		}
		return err //nolint:wrapcheck // the kernel's own error
	}}
	return d.DialContext(ctx, network, addr) //nolint:wrapcheck // a dialer's own error
}

// A burst far larger than the queues and socket buffers, sent to an echo
// without draining the events meanwhile, goes through: the replies are taken
// while SendWait waits, so the echo never stops reading.
func TestSendWaitBurstToAnEchoIsNotStuck(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := dialTarget(t, context.Background(), conn.Target{URL: srv.URL() + "/echo", Dialer: tinySocketDialer{}},
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
