//go:build !linux

package echoserver

import "net"

// peerGone cannot see the TCP state of a socket that is not read outside
// Linux: it reports false, and /slowread holds the connection until Close.
func peerGone(net.Conn) bool {
	return false
}
