package e2e

import (
	"os"
	"syscall"
)

// peakRSS is the largest resident set size of the process that ps
// describes, in bytes (Linux reports it in KiB); 0 if ps is nil, as when k6
// could not be waited for.
func peakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss) << 10
	}
	return 0
}
