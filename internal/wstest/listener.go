package wstest

import (
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// SilentListener accepts TCP connections on 127.0.0.1 and never answers
// them, so a handshake to it hangs; accepted is closed on the first
// connection. It returns its ws:// URL. Everything is closed when the test
// ends.
func SilentListener(t *testing.T) (url string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	first := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		var once sync.Once
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			once.Do(func() { close(first) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "ws://" + ln.Addr().String() + "/", first
}
