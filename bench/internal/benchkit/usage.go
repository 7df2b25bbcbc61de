//go:build unix

package benchkit

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// Usage is what the kernel accounted to one finished process.
type Usage struct {
	// CPUSeconds is user plus system CPU time.
	CPUSeconds float64 `json:"cpu_s"`
	// MaxRSSKB is the peak resident set size in KiB.
	MaxRSSKB float64 `json:"max_rss_kb"`
}

// MaxRSSMB is the peak resident set size in MiB.
func (u Usage) MaxRSSMB() float64 {
	return u.MaxRSSKB / 1024
}

// UsageOf reads the usage of a process that has been waited for.
func UsageOf(state *os.ProcessState) (Usage, error) {
	if state == nil {
		return Usage{}, errors.New("usage: the process has not been waited for")
	}
	ru, ok := state.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return Usage{}, errors.New("usage: the platform reports no rusage")
	}
	return UsageFromRusage(ru), nil
}

// UsageFromRusage converts a raw rusage record.
func UsageFromRusage(ru *syscall.Rusage) Usage {
	cpu := time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())
	return Usage{
		CPUSeconds: cpu.Seconds(),
		MaxRSSKB:   float64(ru.Maxrss) * maxrssUnitBytes / 1024,
	}
}
