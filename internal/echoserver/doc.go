// Package echoserver is the local WebSocket target of xk6-ws: an echo server
// with extra routes for pushing, broadcasting, closing with chosen codes,
// refusing handshakes, reporting request headers, pinging, and for peers that
// misbehave on purpose (hanging, sending garbage, dropping TCP, ignoring the
// close handshake, never reading, sending a compressed message that inflates
// a thousandfold).
//
// It serves unit tests (in-process), end-to-end tests and benchmarks (as a
// process the k6 binary connects to) and the `k6 x ws-echo` subcommand.
// Start runs a Server on its own listener; NewHandler returns the routes for
// embedding in another http.Server. Every connection a Server or Handler
// accepts, upgraded or hijacked, is closed by its Close, which waits for all
// of its goroutines.
package echoserver
