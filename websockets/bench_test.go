package websockets

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

// BenchmarkDelivery measures a message from the network to a message
// listener: the server floods b.N 64-byte messages to one WebSocket.
func BenchmarkDelivery(b *testing.B) {
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, srv.Close()) })
	vu := wstest.NewVU(b, New(), "")
	vu.MoveToVU()
	script := fmt.Sprintf(`
		let received = 0;
		const ws = new WebSocket(%q);
		ws.onmessage = () => { if (++received === %d) { ws.close(); } };
	`, fmt.Sprintf("%s/push?count=%d&size=64", srv.URL(), b.N), b.N)
	b.ReportAllocs()
	b.ResetTimer()
	_, err = vu.Run(script)
	require.NoError(b, err)
}
