package echoserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	handshakeTimeout = 5 * time.Second
	writeBufferSize  = 8 << 10
	copyBufferSize   = 16 << 10
)

// errShuttingDown is returned to a request that arrives while the handler
// closes.
var errShuttingDown = errors.New("echo server is shutting down")

// Handler serves the echo server's routes. It is an http.Handler that owns
// its statistics and every connection it upgrades or hijacks; Close ends them.
// Start wraps one in a Server; NewHandler returns one for embedding.
type Handler struct {
	routes   map[string]route
	upgrader websocket.Upgrader
	stats    counters
	chat     chatHub
	buffers  sync.Pool
	logf     func(format string, args ...any)

	ctx    context.Context //nolint:containedctx // lifetime of every connection; cancelled by Close
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup // one per ServeHTTP call in flight
}

// NewHandler returns the server's routes as an http.Handler for embedding in
// another server. Its dynamic type is *Handler: call its Close when done, as
// http.Server.Close does not know about upgraded connections.
func NewHandler() http.Handler {
	return newHandler(nil)
}

func newHandler(logf func(format string, args ...any)) *Handler {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{
		routes: make(map[string]route),
		logf:   logf,
		ctx:    ctx,
		cancel: cancel,
		conns:  make(map[net.Conn]struct{}),
		chat:   chatHub{rooms: make(map[string]map[*chatMember]struct{})},
	}
	h.buffers.New = func() any {
		b := make([]byte, copyBufferSize)
		return &b
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout:  handshakeTimeout,
		WriteBufferSize:   writeBufferSize,
		WriteBufferPool:   &sync.Pool{},
		EnableCompression: true,
		CheckOrigin:       func(*http.Request) bool { return true },
		Error:             h.handshakeError,
	}
	for _, rt := range routeTable() {
		h.routes[rt.path] = rt
	}
	return h
}

// ServeHTTP dispatches a request to its route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.enter() {
		http.Error(w, errShuttingDown.Error(), http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	rt, ok := h.routes[r.URL.Path]
	if !ok {
		http.Error(w, fmt.Sprintf("no route %q; GET / lists the routes", r.URL.Path), http.StatusNotFound)
		return
	}
	rt.serve(h, w, r)
}

// Stats returns a snapshot of the handler's counters.
func (h *Handler) Stats() Stats {
	return h.stats.snapshot()
}

// Close ends every connection the handler upgraded or hijacked and waits
// until all of its request handlers and their goroutines have returned.
// Requests arriving afterwards get 503. Close may be called more than once.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	conns := make([]net.Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	clear(h.conns)
	h.mu.Unlock()

	h.cancel()
	for _, c := range conns {
		forceClose(c)
	}
	h.wg.Wait()
}

// enter registers a request handler unless the handler is closed.
func (h *Handler) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// track registers and counts a hijacked connection so Close can end it; it
// reports false when the handler is already closed. It runs before any
// handshake answer is written, so a client that is connected finds itself
// counted.
func (h *Handler) track(c net.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	h.stats.opened()
	return true
}

// release forgets, closes and uncounts a tracked connection.
func (h *Handler) release(c net.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	_ = c.Close() // the connection is done either way; a second close only reports it
	h.stats.open.Add(-1)
}

// handshakeError answers a failed upgrade with a plain-text message, unless
// the connection was already taken over (then there is no one to answer).
func (h *Handler) handshakeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	h.logf("echoserver: %s: handshake refused: %v", r.URL.Path, reason)
	if t, ok := w.(*hijackTracker); ok && t.hijacked {
		return
	}
	http.Error(w, reason.Error(), status)
}

// rawConn returns the TCP connection below a TLS connection, or c itself.
func rawConn(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c
}

// forceClose closes a connection at once: below TLS first, so no close_notify
// write can block on a peer that does not read.
func forceClose(c net.Conn) {
	if raw := rawConn(c); raw != c {
		_ = raw.Close() // best effort: the wrapper is closed next
	}
	_ = c.Close() // best effort: the connection may already be closed
}

// hijackTracker is the ResponseWriter handed to the upgrader and to the
// hijacking routes: it registers the connection with the handler the moment
// it is hijacked, so Close can end it even mid-handshake.
type hijackTracker struct {
	http.ResponseWriter

	h        *Handler
	wrap     func(net.Conn) net.Conn // when set, what Hijack returns in place of the connection
	conn     net.Conn                // the tracked connection, nil if refused
	hijacked bool                    // whether the connection was taken from the server
}

// Hijack takes over the connection and tracks it. With wrap set it returns
// the wrapped connection; the tracked one stays the original.
func (t *hijackTracker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(t.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("hijack connection: %w", err)
	}
	t.hijacked = true
	if !t.h.track(c) {
		_ = c.Close() // refused: the handler is closing
		return nil, nil, errShuttingDown
	}
	t.conn = c
	if t.wrap != nil {
		return t.wrap(c), rw, nil
	}
	return c, rw, nil
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *hijackTracker) Unwrap() http.ResponseWriter {
	return t.ResponseWriter
}
