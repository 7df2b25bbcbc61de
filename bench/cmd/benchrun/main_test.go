//go:build unix

package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakeServerEnv turns the test binary into a stand-in for benchserver.
const fakeServerEnv = "BENCHRUN_FAKE_SERVER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeServerEnv); mode != "" {
		os.Exit(fakeServer(mode))
	}
	goleak.VerifyTestMain(m)
}

// hogSink keeps the hog's memory alive.
var hogSink []byte

// hog touches 256 MB, then waits a minute for the test to kill it.
func hog() int {
	hogSink = make([]byte, 256<<20)
	for i := range hogSink {
		hogSink[i] = 1
	}
	<-time.After(time.Minute)
	return 0
}

// fakeServer behaves like benchserver: URL first, stats on SIGTERM. Mode
// "silent" never prints a URL and exits at once with status 3.
func fakeServer(mode string) int {
	switch mode {
	case "silent":
		return 3
	case "hog":
		return hog()
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	fmt.Println("ws://127.0.0.1:9")
	<-term
	fmt.Println(`{"MessagesSent":42}`)
	return 0
}
