package wstest

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// HoldingListener accepts TCP connections on 127.0.0.1 until the test ends,
// calls accepted on each, in the accepting goroutine, and holds them open:
// they are closed when the test ends. An error of accepted fails the test
// and stops the accepting. It returns the listener's ws:// URL.
func HoldingListener(tb testing.TB, accepted func(net.Conn) error) string {
	tb.Helper()
	ln, err := (&net.ListenConfig{}).Listen(tb.Context(), "tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if err := accepted(c); err != nil {
				tb.Errorf("holding listener: %v", err)
				return
			}
		}
	})
	tb.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "ws://" + ln.Addr().String() + "/"
}

// SilentListener is a HoldingListener that never answers, so a handshake to
// it hangs; accepted is closed on the first connection.
func SilentListener(t *testing.T) (url string, accepted <-chan struct{}) {
	t.Helper()
	first := make(chan struct{})
	var once sync.Once
	url = HoldingListener(t, func(net.Conn) error {
		once.Do(func() { close(first) })
		return nil
	})
	return url, first
}
