package echoserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Limits of the query parameters of the service routes.
const (
	maxHeartbeatText = 125
	maxRPCBody       = 1 << 20
)

// lockedWriter serialises the writes of a session whose helpers write too.
type lockedWriter struct {
	mu sync.Mutex
	s  *session
}

func (w *lockedWriter) write(typ int, data []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.s.h.stats.sent(int64(len(data)))
	if err := w.s.conn.WriteMessage(typ, data); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	return nil
}

// serveRPC answers each text message that is a JSON object with an "id"
// with {"id": <the same id>, "result": <the request>}, delay after it came,
// or never; other messages get no answer.
func (h *Handler) serveRPC(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "delay", "never")
	delay := q.duration("delay", 0)
	never := q.boolean("never", false)
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	s.conn.SetReadLimit(maxRPCBody)
	out := &lockedWriter{s: s}
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			s.end(r.URL.Path, err)
			return
		}
		s.h.stats.received(int64(len(data)))
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		if never || typ != websocket.TextMessage || json.Unmarshal(data, &req) != nil || req.ID == nil {
			continue
		}
		reply, err := json.Marshal(struct {
			ID     json.RawMessage `json:"id"`
			Result json.RawMessage `json:"result"`
		}{req.ID, data})
		if err != nil {
			continue // not an object: no id to answer
		}
		if delay == 0 {
			if err := out.write(websocket.TextMessage, reply); err != nil {
				s.end(r.URL.Path, err)
				return
			}
			continue
		}
		s.goRun(func() {
			timer := time.NewTimer(delay)
			defer timer.Stop()
			select {
			case <-timer.C:
				_ = out.write(websocket.TextMessage, reply) // a failed write ends the read loop too
			case <-s.ctx.Done():
			}
		})
	}
}

// serveHeartbeat sends the text ping every interval and closes the
// connection with 1008 when the text pong does not come back within
// timeout, as Socket.IO's server does with "2" and "3". It echoes every
// other message.
func (h *Handler) serveHeartbeat(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "interval", "timeout", "ping", "pong")
	interval := q.duration("interval", 200*time.Millisecond)
	timeout := q.duration("timeout", 100*time.Millisecond)
	ping := q.text("ping", "2", maxHeartbeatText, true)
	pong := q.text("pong", "3", maxHeartbeatText, true)
	if interval == 0 || timeout == 0 {
		q.setErr(fmt.Errorf("interval and timeout must be above 0, got %s and %s", interval, timeout))
	}
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	out := &lockedWriter{s: s}
	answered := make(chan struct{}, 1)
	s.goRun(func() { s.heartbeat(out, interval, timeout, []byte(ping), answered) })
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			s.end(r.URL.Path, err)
			return
		}
		s.h.stats.received(int64(len(data)))
		if typ == websocket.TextMessage && string(data) == pong {
			select {
			case answered <- struct{}{}:
			default:
			}
			continue
		}
		if err := out.write(typ, data); err != nil {
			s.end(r.URL.Path, err)
			return
		}
	}
}

// heartbeat sends ping every interval, and closes the session when an
// answer did not come within timeout.
func (s *session) heartbeat(out *lockedWriter, interval, timeout time.Duration, ping []byte, answered chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	wait := time.NewTimer(timeout)
	defer wait.Stop()
	for {
		select {
		case <-answered: // an answer nobody asked for yet counts for nothing
		default:
		}
		if out.write(websocket.TextMessage, ping) != nil {
			return
		}
		wait.Reset(timeout)
		select {
		case <-answered:
		case <-wait.C:
			s.closeWith(websocket.ClosePolicyViolation, "heartbeat: no answer within "+timeout.String())
			return
		case <-s.ctx.Done():
			return
		}
		select {
		case <-tick.C:
		case <-s.ctx.Done():
			return
		}
	}
}
