package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loadkit/xk6-ws/bench/internal/benchkit"
)

// churnWorker is what one churn connection loop reports.
type churnWorker struct {
	sessions   int
	failures   int
	connecting []float64
	lastErr    error
}

func runChurn(ctx context.Context, cfg config) (benchkit.Outcome, error) {
	start := time.Now()
	deadline := start.Add(cfg.duration)
	workers := make([]churnWorker, cfg.conns)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { workers[i] = churnLoop(ctx, cfg, deadline) })
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	var out benchkit.Outcome
	var connecting []float64
	var lastErr error
	for _, w := range workers {
		out.Ops += float64(w.sessions)
		out.Errors += float64(w.failures)
		connecting = append(connecting, w.connecting...)
		if w.lastErr != nil {
			lastErr = w.lastErr
		}
	}
	out.OpsRate = out.Ops / elapsed
	p95, err := benchkit.Percentile(connecting, 95)
	if err != nil {
		return out, fmt.Errorf("connecting p95: %w", err)
	}
	out.ConnectingP95Ms = p95
	return out, lastErr
}

// churnLoop repeats connect, one echo, close until the deadline.
func churnLoop(ctx context.Context, cfg config, deadline time.Time) churnWorker {
	var w churnWorker
	msg := bytes.Repeat([]byte("x"), cfg.size)
	buf := make([]byte, cfg.size)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		connectMs, err := churnOnce(ctx, cfg, msg, buf)
		if err != nil {
			w.failures++
			w.lastErr = err
			continue
		}
		w.sessions++
		w.connecting = append(w.connecting, connectMs)
	}
	return w
}

// churnOnce runs one session and returns its handshake time in ms.
func churnOnce(ctx context.Context, cfg config, msg, buf []byte) (float64, error) {
	start := time.Now()
	c, _, err := dialer.DialContext(ctx, cfg.endpoint("/echo"), nil)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	connectMs := msSince(start)
	defer closeClean(c)
	if err := c.SetReadDeadline(time.Now().Add(closeWait)); err != nil {
		return 0, fmt.Errorf("set deadline: %w", err)
	}
	if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	if _, err := readInto(c, buf); err != nil {
		return 0, err
	}
	return connectMs, nil
}

// floodDialer reads in 64 KiB gulps: a flooded reader needs few syscalls.
var floodDialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 64 << 10}

func runFlood(ctx context.Context, cfg config) (benchkit.Outcome, error) {
	url := cfg.endpoint(fmt.Sprintf("/push?count=%d&interval=0&binary=false&size=%d", cfg.count, cfg.size))
	c, _, err := floodDialer.DialContext(ctx, url, nil)
	if err != nil {
		return benchkit.Outcome{Errors: 1}, fmt.Errorf("dial: %w", err)
	}
	defer closeNow(c)
	buf := make([]byte, cfg.size)
	start := time.Now()
	deadline := start.Add(cfg.duration)
	if err := c.SetReadDeadline(deadline.Add(closeWait)); err != nil {
		return benchkit.Outcome{Errors: 1}, fmt.Errorf("set deadline: %w", err)
	}
	n := 0
	for n < cfg.count && time.Now().Before(deadline) && ctx.Err() == nil {
		if _, err := readInto(c, buf); err != nil {
			return benchkit.Outcome{Errors: 1}, err
		}
		n++
	}
	return aggregate([]socketResult{{ops: n, windowMs: msSince(start)}}), nil
}

// dialParallelism bounds how many idle sockets are being opened at once.
const dialParallelism = 64

func runIdle(ctx context.Context, cfg config) (benchkit.Outcome, error) {
	if cfg.baseline {
		return benchkit.Outcome{}, wait(ctx, cfg.hold)
	}
	openCtx, cancel := context.WithTimeout(ctx, cfg.openTimeout)
	conns, failures, err := openMany(openCtx, cfg.endpoint("/echo"), cfg.sockets, time.Now(), nil)
	cancel()
	var readers sync.WaitGroup
	for _, c := range conns {
		// Like any real client, each socket has a reader that would see
		// pings and the peer's close; it ends when the socket is closed.
		readers.Go(func() { discardAll(c) })
	}
	out := benchkit.Outcome{Sockets: float64(len(conns)), Errors: float64(failures)}
	if err == nil {
		err = wait(ctx, cfg.hold)
	}
	for _, c := range conns {
		closeNow(c)
	}
	readers.Wait()
	return out, err
}

// openMany opens n connections to url, dialParallelism at a time, and
// hands each to opened (when not nil) as soon as it is open, with the time
// since begin.
func openMany(ctx context.Context, url string, n int, begin time.Time,
	opened func(*websocket.Conn, time.Duration),
) ([]*websocket.Conn, int, error) {
	var (
		mu       sync.Mutex
		conns    []*websocket.Conn
		failures int
		lastErr  error
	)
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	for range min(dialParallelism, max(n, 1)) {
		wg.Go(func() {
			for range jobs {
				c, _, err := dialer.DialContext(ctx, url, nil)
				mu.Lock()
				if err != nil {
					failures++
					lastErr = fmt.Errorf("dial: %w", err)
				} else {
					conns = append(conns, c)
					if opened != nil {
						opened(c, time.Since(begin))
					}
				}
				mu.Unlock()
			}
		})
	}
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	return conns, failures, lastErr
}

// runScale holds cfg.sockets connections to /push, where the server sends
// cfg.count messages to each, cfg.interval apart; each connection has a
// reader that counts them and closes the connection after the last.
func runScale(ctx context.Context, cfg config) (benchkit.Outcome, error) {
	if cfg.baseline {
		return benchkit.Outcome{}, wait(ctx, cfg.interval)
	}
	url := cfg.endpoint(fmt.Sprintf("/push?count=%d&interval=%s&size=%d&binary=false", cfg.count, cfg.interval, cfg.size))
	begin := time.Now()
	// Every reader must be done by then: opening, every message, a margin.
	readDeadline := begin.Add(cfg.openTimeout + cfg.pushSpan() + closeWait)
	var (
		readers  sync.WaitGroup
		mu       sync.Mutex
		results  []socketResult
		lastOpen time.Duration
	)
	openCtx, cancel := context.WithTimeout(ctx, cfg.openTimeout)
	_, failures, err := openMany(openCtx, url, cfg.sockets, begin, func(c *websocket.Conn, after time.Duration) {
		lastOpen = max(lastOpen, after) // openMany calls this under its lock
		readers.Go(func() {
			r := receiveAll(c, cfg.count, readDeadline)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		})
	})
	cancel()
	readers.Wait()
	out := aggregate(results)
	out.Errors += float64(failures)
	out.LastOpenMs = float64(lastOpen) / float64(time.Millisecond)
	return out, errors.Join(err, firstError(results))
}

// receiveAll reads count messages from c, then closes it cleanly.
func receiveAll(c *websocket.Conn, count int, deadline time.Time) socketResult {
	defer closeClean(c)
	if err := c.SetReadDeadline(deadline); err != nil {
		return socketResult{err: fmt.Errorf("set deadline: %w", err)}
	}
	start := time.Now()
	n := 0
	for n < count {
		if _, _, err := c.NextReader(); err != nil {
			return socketResult{ops: n, err: fmt.Errorf("after %d of %d messages: %w", n, count, err)}
		}
		n++
	}
	return socketResult{ops: n, windowMs: msSince(start)}
}

// discardAll reads and drops messages until the connection fails or closes.
func discardAll(c *websocket.Conn) {
	for {
		if _, _, err := c.NextReader(); err != nil {
			return
		}
	}
}

// wait blocks for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
}
