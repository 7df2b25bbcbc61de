//go:build soak

package e2e

import (
	"testing"
	"time"
)

// The long variant of the network-fault tests (netfault_test.go), run by
// `make soak`: segments of 4 to 10 bytes for the whole echo, 128 MiB each
// way through the bandwidth limit, 50 VUs for 20s.

// soakStream is 128 MiB each way at 16 MB/s, eight times what k6's memory
// may grow to.
var soakStream = streamLoad{count: 2048, size: 64 << 10, rateKBps: 16000, maxRSS: 256 << 20, timeout: 5 * time.Minute}

func TestSoakNetFaultEchoSocketAPI(t *testing.T) {
	t.Parallel()
	testNetFaultEcho(t, netfaultSocketAPI, tinySegments, 3*time.Minute)
}

func TestSoakNetFaultEchoWebSocketClass(t *testing.T) {
	t.Parallel()
	testNetFaultEcho(t, netfaultWebSocketClass, tinySegments, 3*time.Minute)
}

func TestSoakNetFaultBandwidthSocketAPI(t *testing.T) {
	t.Parallel()
	testNetFaultBandwidth(t, netfaultSocketAPI, soakStream)
}

func TestSoakNetFaultBandwidthWebSocketClass(t *testing.T) {
	t.Parallel()
	testNetFaultBandwidth(t, netfaultWebSocketClass, soakStream)
}

func TestSoakNetFaultCrowd(t *testing.T) {
	t.Parallel()
	testNetFaultCrowd(t, crowdLoad{vusPerAPI: 25, duration: "20s", timeout: 3 * time.Minute})
}
