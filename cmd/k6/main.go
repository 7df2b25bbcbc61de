// Command k6 is k6 built with the xk6-ws extension, the same program that
// `xk6 build --with github.com/loadkit/xk6-ws` generates.
package main

import (
	k6cmd "go.k6.io/k6/cmd"

	_ "github.com/loadkit/xk6-ws" // registers k6/x/ws, k6/x/websockets and `k6 x ws-echo`
)

func main() {
	k6cmd.Execute()
}
