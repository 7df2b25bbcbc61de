// Package xk6ws registers the xk6-ws extension with k6: the k6/ws Socket API
// and the WebSocket class under their k6/x/ names and under k6's own names,
// so that scripts written for stock k6 run on this implementation unchanged,
// and the `k6 x ws-echo` local target server.
package xk6ws

import (
	"go.k6.io/k6/ext"
	"go.k6.io/k6/js/modules"
	"go.k6.io/k6/subcommand"

	"github.com/loadkit/xk6-ws/internal/echocmd"
	"github.com/loadkit/xk6-ws/websockets"
	"github.com/loadkit/xk6-ws/ws"
)

func init() {
	socketAPI := ws.New()
	modules.Register("k6/x/ws", socketAPI)
	ext.Register("k6/ws", ext.JSExtension, socketAPI)

	webSocketClass := websockets.New()
	modules.Register("k6/x/websockets", webSocketClass)
	ext.Register("k6/websockets", ext.JSExtension, webSocketClass)
	ext.Register("k6/experimental/websockets", ext.JSExtension, webSocketClass)

	subcommand.RegisterExtension("ws-echo", echocmd.New)
}
