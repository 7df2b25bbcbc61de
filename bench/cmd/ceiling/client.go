package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

// dialer is shared by every mode: default 4 KiB buffers, bounded handshake.
var dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second}

// echoDialer is the shared dialer, or a copy with -write-buffer's size.
func (c config) echoDialer() *websocket.Dialer {
	if c.writeBuffer == 0 {
		return dialer
	}
	d := *dialer
	d.WriteBufferSize = c.writeBuffer
	return &d
}

// closeWait bounds how long a clean close waits for the peer's close frame.
const closeWait = 5 * time.Second

// socketResult is what one connection contributes to the outcome.
type socketResult struct {
	ops      int
	windowMs float64
	err      error
}

// aggregate sums per-socket results into an outcome.
func aggregate(results []socketResult) benchkit.Outcome {
	var out benchkit.Outcome
	for _, r := range results {
		if r.err != nil {
			out.Errors++
			continue
		}
		out.Ops += float64(r.ops)
		out.WindowMs += r.windowMs
		out.Sockets++
	}
	return out
}

// firstError returns the first socket error, for the log.
func firstError(results []socketResult) error {
	for _, r := range results {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// inParallel runs fn n times at once and collects the results in order.
func inParallel(n int, fn func() socketResult) []socketResult {
	results := make([]socketResult, n)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = fn() })
	}
	wg.Wait()
	return results
}

func runEcho(ctx context.Context, cfg config) (benchkit.Outcome, error) {
	results := inParallel(cfg.conns, func() socketResult { return echoConn(ctx, cfg) })
	return aggregate(results), firstError(results)
}

// echoConn does sequential round trips on one connection: cfg.roundTrips
// of them, or as many as fit in cfg.duration when that is 0. Every echo must
// be as long as the message.
func echoConn(ctx context.Context, cfg config) socketResult {
	c, _, err := cfg.echoDialer().DialContext(ctx, cfg.endpoint("/echo"), nil)
	if err != nil {
		return socketResult{err: fmt.Errorf("dial: %w", err)}
	}
	defer closeClean(c)
	typ := websocket.TextMessage
	if cfg.binary {
		typ = websocket.BinaryMessage
	}
	msg := bytes.Repeat([]byte("x"), cfg.size)
	buf := make([]byte, cfg.size)
	start := time.Now()
	deadline := start.Add(cfg.duration)
	readDeadline := deadline.Add(closeWait)
	if cfg.roundTrips > 0 {
		readDeadline = start.Add(cfg.limit())
	}
	if err := c.SetReadDeadline(readDeadline); err != nil {
		return socketResult{err: fmt.Errorf("set deadline: %w", err)}
	}
	more := func(n int) bool {
		if cfg.roundTrips > 0 {
			return n < cfg.roundTrips
		}
		return time.Now().Before(deadline)
	}
	n := 0
	for more(n) && ctx.Err() == nil {
		if err := c.WriteMessage(typ, msg); err != nil {
			return socketResult{err: fmt.Errorf("write: %w", err)}
		}
		got, err := readInto(c, buf)
		if err != nil {
			return socketResult{err: err}
		}
		if got != cfg.size {
			return socketResult{err: fmt.Errorf("echo of %d bytes, want %d", got, cfg.size)}
		}
		n++
	}
	return socketResult{ops: n, windowMs: msSince(start)}
}

// readInto reads one message into buf, discarding anything beyond it, and
// returns the message's length.
func readInto(c *websocket.Conn, buf []byte) (int, error) {
	_, r, err := c.NextReader()
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("read: %w", err)
	}
	rest, err := io.Copy(io.Discard, r)
	if err != nil {
		return n, fmt.Errorf("read: %w", err)
	}
	return n + int(rest), nil
}

// closeClean sends a close frame, waits a bounded time for the peer's, and
// closes the connection.
func closeClean(c *websocket.Conn) {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait)) == nil {
		_ = c.SetReadDeadline(time.Now().Add(closeWait))
		for {
			if _, _, err := c.NextReader(); err != nil {
				break
			}
		}
	}
	_ = c.Close()
}

// closeNow sends a close frame and drops the connection without waiting,
// for a peer that may still be flooding.
func closeNow(c *websocket.Conn) {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
	_ = c.Close()
}

func msSince(t time.Time) float64 {
	return float64(time.Since(t)) / float64(time.Millisecond)
}
