package echoserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// controlTimeout bounds writing one control frame.
	controlTimeout = 2 * time.Second
	// closeWait is how long the server waits for the client's close reply
	// after it sent a close frame.
	closeWait = 2 * time.Second
)

// session is one upgraded WebSocket connection and its helper goroutines.
type session struct {
	h       *Handler
	conn    *websocket.Conn
	netConn net.Conn
	ctx     context.Context //nolint:containedctx // the connection's lifetime
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// checkRequest answers 400 for a bad query and 426 for a request that is not
// a WebSocket upgrade; it reports whether the request may go on.
func checkRequest(w http.ResponseWriter, r *http.Request, q *query) bool {
	if q.err != nil {
		http.Error(w, q.err.Error(), http.StatusBadRequest)
		return false
	}
	if !websocket.IsWebSocketUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, r.URL.Path+" is a WebSocket route: send a GET with Upgrade: websocket; GET / lists the routes",
			http.StatusUpgradeRequired)
		return false
	}
	return true
}

// upgrade validates the request and completes the WebSocket handshake with
// the chosen subprotocol and any extra response headers. It returns nil when
// the request was answered otherwise; a session must end with finish.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request, q *query, header http.Header) *session {
	return h.upgradeVia(w, r, q, header, nil)
}

// upgradeVia is upgrade with gorilla working on wrap(conn) rather than on the
// hijacked conn itself, when wrap is not nil. The session's netConn stays the
// hijacked conn.
func (h *Handler) upgradeVia(
	w http.ResponseWriter, r *http.Request, q *query, header http.Header, wrap func(net.Conn) net.Conn,
) *session {
	if !checkRequest(w, r, q) {
		return nil
	}
	if header == nil {
		header = http.Header{}
	}
	if p := chooseSubprotocol(websocket.Subprotocols(r), q); p != "" {
		header.Set("Sec-WebSocket-Protocol", p)
	}
	tracker := &hijackTracker{ResponseWriter: w, h: h, wrap: wrap}
	conn, err := h.upgrader.Upgrade(tracker, r, header)
	if err != nil {
		if tracker.conn != nil {
			h.release(tracker.conn)
		}
		h.logf("echoserver: %s: upgrade: %v", r.URL.Path, err)
		return nil
	}
	ctx, cancel := context.WithCancel(h.ctx)
	s := &session{h: h, conn: conn, netConn: tracker.conn, ctx: ctx, cancel: cancel}
	conn.SetCloseHandler(s.replyClose)
	return s
}

// hijack validates the request and takes over its connection without any
// handshake, for the routes that misbehave below the WebSocket layer. The
// caller must end the connection with release.
func (h *Handler) hijack(w http.ResponseWriter, r *http.Request, q *query) net.Conn {
	if !checkRequest(w, r, q) {
		return nil
	}
	tracker := &hijackTracker{ResponseWriter: w, h: h}
	c, _, err := tracker.Hijack()
	if err != nil {
		h.logf("echoserver: %s: %v", r.URL.Path, err)
		if tracker.hijacked {
			return nil // taken and closed: no one to answer
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil
	}
	return c
}

// goRun runs fn on a helper goroutine that finish waits for.
func (s *session) goRun(fn func()) {
	s.wg.Go(fn)
}

// finish ends the session: it stops the helpers, closes the connection and
// waits for the helpers to return.
func (s *session) finish() {
	s.cancel()
	s.h.release(s.netConn)
	s.wg.Wait()
}

// end logs why a session ended unless it was a close handshake or a
// disconnect.
func (s *session) end(route string, err error) {
	var closeErr *websocket.CloseError
	if err == nil || errors.As(err, &closeErr) || isDisconnect(err) {
		return
	}
	s.h.logf("echoserver: %s: %v", route, err)
}

// isDisconnect reports errors that only mean the peer or the server went away.
func isDisconnect(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &netErr)
}

// replyClose answers the client's close frame with the same code.
func (s *session) replyClose(code int, _ string) error {
	msg := websocket.FormatCloseMessage(code, "")
	err := s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(controlTimeout))
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		s.h.logf("echoserver: reply to close %d: %v", code, err)
	}
	return nil
}

// ignoreClose is a close handler that never answers.
func ignoreClose(int, string) error {
	return nil
}

// closeWith sends a close frame and gives the client closeWait to answer: the
// read loop then ends with the client's close or with a timeout.
func (s *session) closeWith(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	if err := s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(controlTimeout)); err != nil {
		s.h.logf("echoserver: send close %d: %v", code, err)
	}
	_ = s.netConn.SetReadDeadline(time.Now().Add(closeWait)) // fails only if already closed
}

// echoOne reads one data message and writes it back with the same type.
func (s *session) echoOne() error {
	typ, r, err := s.conn.NextReader()
	if err != nil {
		return fmt.Errorf("read message: %w", err)
	}
	w, err := s.conn.NextWriter(typ)
	if err != nil {
		return fmt.Errorf("start echo: %w", err)
	}
	buf, _ := s.h.buffers.Get().(*[]byte)
	n, err := io.CopyBuffer(w, r, *buf)
	s.h.buffers.Put(buf)
	if err != nil {
		return fmt.Errorf("echo message: %w", err)
	}
	s.h.stats.received(n)
	s.h.stats.sent(n)
	if err := w.Close(); err != nil {
		return fmt.Errorf("send echo: %w", err)
	}
	return nil
}

// echoN echoes n messages.
func (s *session) echoN(n int) error {
	for range n {
		if err := s.echoOne(); err != nil {
			return err
		}
	}
	return nil
}

// echoLoop echoes messages until the connection ends.
func (s *session) echoLoop() error {
	for {
		if err := s.echoOne(); err != nil {
			return err
		}
	}
}

// discardLoop reads and counts messages without answering them until the
// connection ends.
func (s *session) discardLoop() error {
	for {
		_, r, err := s.conn.NextReader()
		if err != nil {
			return fmt.Errorf("read message: %w", err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			return fmt.Errorf("read message: %w", err)
		}
		s.h.stats.received(n)
	}
}

// repeat calls fn count times (0: until the session ends), interval apart,
// the first call at once. It stops when fn fails or the session ends.
func (s *session) repeat(count int, interval time.Duration, fn func() error) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for i := 0; count == 0 || i < count; i++ {
		if i > 0 && tick != nil {
			select {
			case <-tick:
			case <-s.ctx.Done():
				return
			}
		}
		if s.ctx.Err() != nil || fn() != nil {
			return
		}
	}
}
