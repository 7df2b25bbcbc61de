//go:build unix

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPinningWrap(t *testing.T) {
	t.Parallel()
	off := pinning{}
	assert.Equal(t, []string{"k6", "run"}, off.wrap("1", []string{"k6", "run"}))
	on := pinning{taskset: "/usr/bin/taskset", serverCPUs: "0", clientCPUs: "1"}
	assert.Equal(t, []string{"/usr/bin/taskset", "-c", "1", "k6", "run"}, on.wrap(on.clientCPUs, []string{"k6", "run"}))
	_, note := newPinning(false)
	assert.Contains(t, note, "off")
}

func TestRaiseOpenFilesNeverLowersAndReachesTheHardLimit(t *testing.T) {
	var before syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before))

	got, note := raiseOpenFiles(1)
	assert.Equal(t, before.Cur, got, "asking for less keeps the limit")
	assert.Equal(t, strconv.FormatUint(before.Cur, 10), note)

	got, note = raiseOpenFiles(before.Max + 1)
	var after syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after))
	assert.Equal(t, after.Cur, got)
	assert.GreaterOrEqual(t, after.Cur, before.Max, "the soft limit reaches at least the old hard limit")
	if after.Max == before.Max {
		assert.Contains(t, note, "may not be raised here")
	} else {
		assert.Contains(t, note, "hard limit raised")
	}
}

func TestRunProcReportsUsageAndExitStatus(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	res, err := runProc(context.Background(), []string{"sh", "-c", "echo hi; exit 3"},
		limits{timeout: 10 * time.Second}, &out, io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, res.err, "exit status 3")
	assert.Equal(t, "hi\n", out.String())
	assert.Positive(t, res.usage.MaxRSSKB, "rusage of the finished child")
	assert.Positive(t, res.wall)
}

func TestRunProcKillsAtTimeout(t *testing.T) {
	t.Parallel()
	res, err := runProc(context.Background(), []string{"sh", "-c", "exec tail -f /dev/null"},
		limits{timeout: 200 * time.Millisecond}, io.Discard, io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, res.err, "killed after 200ms")
}

func TestRunProcKillsAboveMaxRSS(t *testing.T) {
	t.Parallel()
	res, err := runProc(context.Background(), fakeServerArgv("hog"),
		limits{timeout: time.Minute, maxRSSKB: 32 * 1024}, io.Discard, io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, res.err, "RSS passed the limit of 32 MB")
	assert.Greater(t, res.usage.MaxRSSKB, 32.0*1024)
}

func TestServerStartAndStop(t *testing.T) {
	t.Parallel()
	srv, err := startServer(context.Background(), fakeServerArgv("serve"), filepath.Join(t.TempDir(), "s.log"))
	require.NoError(t, err)
	assert.Equal(t, "ws://127.0.0.1:9", srv.url)
	rec, err := srv.stop()
	require.NoError(t, err)
	assert.InDelta(t, 42.0, rec.Stats["MessagesSent"], 0)
	assert.Positive(t, rec.WallSeconds)
	assert.Positive(t, rec.MaxRSSKB)
	assert.GreaterOrEqual(t, rec.Busy(), 0.0)
}

func TestServerThatDiesIsReported(t *testing.T) {
	t.Parallel()
	_, err := startServer(context.Background(), fakeServerArgv("silent"), filepath.Join(t.TempDir(), "s.log"))
	require.ErrorContains(t, err, "exited before printing its URL")
}

func TestLineCapture(t *testing.T) {
	t.Parallel()
	c := newLineCapture()
	_, _ = c.Write([]byte("ws://127.0.0.1:1"))
	select {
	case <-c.first:
		t.Fatal("no line is complete yet")
	default:
	}
	_, _ = c.Write([]byte("234\nlog line\n{\"Connections\": 5}\n"))
	assert.Equal(t, "ws://127.0.0.1:1234", <-c.first)
	assert.Equal(t, map[string]any{"Connections": 5.0}, c.lastJSON())
	assert.Nil(t, decodeObject("not json"))
	assert.True(t, strings.HasPrefix(ratioNote, "ratio: xk6/stock"))
}

// fakeServerArgv runs this test binary as a stand-in server; env(1) execs it,
// so the process is the stand-in itself.
func fakeServerArgv(mode string) []string {
	return []string{"env", fakeServerEnv + "=" + mode, os.Args[0], "-test.run=^$"}
}
