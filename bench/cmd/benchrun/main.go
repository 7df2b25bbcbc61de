//go:build unix

// Command benchrun is `make bench`: it builds this repository's k6 and a stock
// k6 v1.8.1, then runs every script in bench/ on both binaries against the
// same local server (bench/cmd/benchserver, its own process), alternating
// xk6-ws and stock run after run, with the plain Go client bench/cmd/ceiling
// as the upper bound. It prints the medians as a table, writes them as
// Markdown to bench/results.md and every raw run as JSON under .bench/.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		return err
	}
	openFiles, openFilesNote := raiseOpenFiles(uint64(cfg.openFiles))
	if need := cfg.socketsNeeded(); need > 0 && uint64(need) > openFiles {
		fmt.Fprintf(os.Stderr, "warning: the scale scenario needs %d sockets in one process, the open-file limit is %s\n",
			need, openFilesNote)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	bins, err := prepareBinaries(ctx, cfg)
	if err != nil {
		return err
	}
	b, err := newBench(cfg, bins, openFilesNote)
	if err != nil {
		return err
	}
	records, err := b.runAll(ctx)
	if err != nil {
		return err
	}
	return b.report(records)
}
