package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// apiPorts hands out ports for k6's REST API (`k6 run --address`). k6
// v1.8.1 does not say which port it bound for "--address 127.0.0.1:0", so
// the port is chosen before k6 starts. It is chosen below the kernel's
// ephemeral range, which Linux never assigns to a socket that did not ask
// for that port: the many outgoing connections of a busy machine cannot
// take it between the check and k6's bind; only another process binding
// that very port can, and RunK6 then runs k6 again on another port. A port
// is handed out once per test binary.
var apiPorts = struct {
	sync.Mutex
	used map[int]bool
}{used: make(map[int]bool)}

// apiPortFloor is the lowest port handed out: above the ports that
// services commonly use.
const apiPortFloor = 20000

// pickAPIAddress returns 127.0.0.1:port for a port that no socket of this
// machine holds now, below the ephemeral range and not handed out before.
func pickAPIAddress(ctx context.Context) (string, error) {
	ceiling := ephemeralLow()
	if ceiling <= apiPortFloor {
		return "", fmt.Errorf("no port range below the ephemeral ports (they start at %d)", ceiling)
	}
	apiPorts.Lock()
	defer apiPorts.Unlock()
	for range 100 {
		port := apiPortFloor + rand.IntN(ceiling-apiPortFloor)
		if apiPorts.used[port] {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
		if err != nil {
			continue // held by another socket
		}
		if err := ln.Close(); err != nil {
			return "", fmt.Errorf("closing the probe listener on %s: %w", addr, err)
		}
		apiPorts.used[port] = true
		return addr, nil
	}
	return "", fmt.Errorf("no free port between %d and %d in 100 tries", apiPortFloor, ceiling)
}

// ephemeralLow is the first port of the kernel's ephemeral range: Linux's
// ip_local_port_range, or IANA's 49152 where that cannot be read.
func ephemeralLow() int {
	const iana = 49152
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return iana
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return iana
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil {
		return iana
	}
	return low
}
