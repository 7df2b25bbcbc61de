//go:build !linux

package e2e

import "os"

// peakRSS is 0: the peak resident set size is only read on Linux.
func peakRSS(*os.ProcessState) int64 { return 0 }
