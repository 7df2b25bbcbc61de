//go:build soak

package e2e

import (
	"testing"
	"time"
)

// The long variant of the network-fault tests (netfault_test.go), run by
// `make soak`: segments of 4 to 10 bytes for the whole echo, 512 MiB each
// way through the bandwidth limit, 50 VUs for 20s.

// soakStream is 512 MiB each way at 16 MB/s, four times each way what k6's
// memory may grow to (about 50 MiB measured).
var soakStream = streamLoad{count: 8192, size: 64 << 10, rateKBps: 16000, maxRSS: 256 << 20, timeout: 5 * time.Minute}

func TestSoakNetFaultEchoSocketAPI(t *testing.T) {
	t.Parallel()
	testNetFaultEcho(t, netfaultSocketAPI, tinySegments, 3*time.Minute)
}

func TestSoakNetFaultEchoWebSocketClass(t *testing.T) {
	t.Parallel()
	testNetFaultEcho(t, netfaultWebSocketClass, tinySegments, 3*time.Minute)
}

// The bandwidth tests run one at a time, before the parallel tests: a k6
// starved of CPU by the tests around it collects its garbage late, and its
// peak RSS measures that rather than what it holds.

func TestSoakNetFaultBandwidthSocketAPI(t *testing.T) {
	testNetFaultBandwidth(t, netfaultSocketAPI, soakStream)
}

func TestSoakNetFaultBandwidthWebSocketClass(t *testing.T) {
	testNetFaultBandwidth(t, netfaultWebSocketClass, soakStream)
}

func TestSoakNetFaultCrowd(t *testing.T) {
	t.Parallel()
	testNetFaultCrowd(t, crowdLoad{vusPerAPI: 25, duration: "20s", timeout: 3 * time.Minute})
}
