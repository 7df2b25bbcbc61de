package e2e

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"time"
)

// rssPollInterval is how often the high-water mark of k6's resident set is
// read while it runs.
const rssPollInterval = 5 * time.Millisecond

// watchRSS follows the peak resident set size of the running process pid by
// reading VmHWM from /proc/pid/status until stop is closed or the process
// is gone, and sends the largest value seen, in bytes, on the returned
// channel.
//
// The rusage of the ended process cannot be used: Go starts k6 with
// vfork, so the exec records the high-water mark of the test process (which
// shares its memory until then) in k6's ru_maxrss.
func watchRSS(pid int, stop <-chan struct{}) <-chan int64 {
	peak := make(chan int64, 1)
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	go func() {
		var highest int64
		ticker := time.NewTicker(rssPollInterval)
		defer ticker.Stop()
		for {
			hwm, ok := readVMHWM(path)
			if ok && hwm > highest {
				highest = hwm
			}
			select {
			case <-stop:
				peak <- highest
				return
			case <-ticker.C:
			}
		}
	}()
	return peak
}

// readVMHWM reads the VmHWM line of a /proc status file, in bytes. It
// reports false once the process has ended (no file, or a zombie's status
// without memory lines).
func readVMHWM(path string) (int64, bool) {
	status, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	lines := bufio.NewScanner(bytes.NewReader(status))
	for lines.Scan() {
		value, found := bytes.CutPrefix(lines.Bytes(), []byte("VmHWM:"))
		if !found {
			continue
		}
		kib, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(value), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0, false
		}
		return kib << 10, true
	}
	return 0, false
}
