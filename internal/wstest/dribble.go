package wstest

import (
	"net"
	"sync"
	"testing"
	"time"
)

// DribblingListener accepts TCP connections on 127.0.0.1 until the test
// ends and writes answer to each, one byte every interval, without reading
// what the client sends: a server whose handshake answer arrives too slowly.
// It returns the listener's ws:// URL.
func DribblingListener(tb testing.TB, answer string, interval time.Duration) string {
	tb.Helper()
	ctx := tb.Context()
	var wg sync.WaitGroup
	url := HoldingListener(tb, func(c net.Conn) error {
		wg.Go(func() {
			ticker := time.NewTicker(interval)
			defer ticker.Stop()
			for i := range len(answer) {
				select {
				case <-ctx.Done():
					return
				case <-ticker.C:
				}
				if _, err := c.Write([]byte{answer[i]}); err != nil {
					return
				}
			}
		})
		return nil
	})
	// Registered after HoldingListener's: runs first, once tb's context,
	// which stops every dribble, is done.
	tb.Cleanup(wg.Wait)
	return url
}
