//go:build unix

package benchkit

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsageFromRusage(t *testing.T) {
	t.Parallel()
	ru := &syscall.Rusage{
		Utime:  syscall.NsecToTimeval(int64(1500 * time.Millisecond)),
		Stime:  syscall.NsecToTimeval(int64(250 * time.Millisecond)),
		Maxrss: 2048,
	}
	u := UsageFromRusage(ru)
	assert.InDelta(t, 1.75, u.CPUSeconds, 1e-6)
	assert.InDelta(t, 2048*maxrssUnitBytes/1024.0, u.MaxRSSKB, 1e-9)
	assert.InDelta(t, u.MaxRSSKB/1024, u.MaxRSSMB(), 1e-9)
}

func TestUsageOfRejectsUnwaitedProcess(t *testing.T) {
	t.Parallel()
	_, err := UsageOf(nil)
	require.ErrorContains(t, err, "not been waited for")
}

// childAllocMB and childBurn are what the child process does, so that the
// test can check the rusage it reads back is the child's.
const (
	childAllocMB = 64
	childBurn    = 100 * time.Millisecond
)

// childSink keeps the child's allocation alive.
var childSink []byte

// usageChild touches childAllocMB of memory and burns childBurn of CPU time,
// as the kernel counts it.
func usageChild() int {
	childSink = make([]byte, childAllocMB<<20)
	for i := range childSink {
		childSink[i] = byte(i)
	}
	deadline := time.Now().Add(time.Minute) // bound, should the CPU never be granted
	for time.Now().Before(deadline) {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 1
		}
		if UsageFromRusage(&ru).CPUSeconds >= childBurn.Seconds() {
			return 0
		}
	}
	return 1
}

func TestUsageOfRealProcess(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	require.NoError(t, cmd.Run())

	u, err := UsageOf(cmd.ProcessState)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, u.MaxRSSKB, float64(childAllocMB*1024), "peak RSS must include the child's touched memory")
	assert.Less(t, u.MaxRSSKB, float64(16*childAllocMB*1024), "peak RSS must be the child's, not something much larger")
	assert.GreaterOrEqual(t, u.CPUSeconds, childBurn.Seconds(), "CPU time must include the child's busy loop")
}
