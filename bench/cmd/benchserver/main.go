// Command benchserver runs internal/echoserver as a process of its own for
// bench/cmd/benchrun, so that the target server's CPU time is accounted apart
// from the client's. It prints the server's ws:// base URL as its first line
// on stdout, serves until SIGINT or SIGTERM, then closes every connection and
// prints the server's counters as one JSON line.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "TCP address to listen on (loopback only)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("parse flags: %w", err)
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
	srv, err := echoserver.Start(echoserver.Options{Addr: *addr, Logf: logger.Printf})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	if _, err := fmt.Fprintln(stdout, srv.URL()); err != nil {
		_ = srv.Close() // the runner is gone; nothing to report to
		return fmt.Errorf("announce URL: %w", err)
	}
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if err := json.NewEncoder(stdout).Encode(srv.Stats()); err != nil {
		return fmt.Errorf("report stats: %w", err)
	}
	return nil
}

// checkLoopback refuses any listen address that is not a loopback IP.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr must be host:port, got %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr must be a loopback IP such as 127.0.0.1, got %q", host)
	}
	return nil
}
