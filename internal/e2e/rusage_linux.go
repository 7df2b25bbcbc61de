package e2e

import (
	"os"
	"syscall"
)

// peakRSS is the maximum resident set size of an ended process, in bytes
// (Linux reports it in KiB).
func peakRSS(state *os.ProcessState) int64 {
	usage, ok := state.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return usage.Maxrss << 10
}
