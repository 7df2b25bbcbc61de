//go:build linux

package echoserver

import (
	"net"

	"golang.org/x/sys/unix"
)

// tcpEstablished is the Linux TCP state of an open connection
// (include/net/tcp_states.h).
const tcpEstablished = 1

// peerGone reports whether the client closed or reset a connection the
// server does not read: its TCP state is no longer ESTABLISHED. A client that
// closes while its unsent data waits for our zero window cannot send its FIN;
// it is seen to go only when its kernel gives up and resets.
func peerGone(c net.Conn) bool {
	tcp, ok := rawConn(c).(*net.TCPConn)
	if !ok {
		return false
	}
	rc, err := tcp.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	ctrlErr := rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		gone = err != nil || info.State != tcpEstablished
	})
	return gone || ctrlErr != nil
}
