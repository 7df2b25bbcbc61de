package echoserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Limits of the query parameters.
const (
	maxCount          = 1_000_000_000
	maxPushSize       = 64 << 20
	maxInterval       = time.Hour
	maxBodyLen        = 4096
	maxControlPayload = 125
	maxCloseReason    = maxControlPayload - 2
	maxPongs          = 10_000
)

func (h *Handler) serveEcho(w http.ResponseWriter, r *http.Request) {
	s := h.upgrade(w, r, newWSQuery(r), nil)
	if s == nil {
		return
	}
	defer s.finish()
	s.end(r.URL.Path, s.echoLoop())
}

// pushParams are the query parameters of /push.
type pushParams struct {
	count    int
	size     int
	interval time.Duration
	binary   bool
}

func (h *Handler) servePush(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "count", "size", "interval", "binary")
	p := pushParams{
		count:    q.integer("count", 0, 0, maxCount),
		size:     q.integer("size", 16, 0, maxPushSize),
		interval: q.duration("interval", 0),
		binary:   q.boolean("binary", false),
	}
	typ := websocket.TextMessage
	if p.binary {
		typ = websocket.BinaryMessage
	}
	if p.interval == 0 && !offersDeflate(r) {
		h.floodPush(w, r, q, typ, p)
		return
	}
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	pm, err := websocket.NewPreparedMessage(typ, pattern(p.size))
	if err != nil {
		s.end(r.URL.Path, err)
		return
	}
	s.goRun(func() {
		s.repeat(p.count, p.interval, func() error {
			s.h.stats.sent(int64(p.size))
			return s.conn.WritePreparedMessage(pm)
		})
	})
	s.end(r.URL.Path, s.discardLoop())
}

// floodPush serves a /push without interval or compression: it writes the
// frames itself, many per write (see floodConn), while gorilla reads.
func (h *Handler) floodPush(w http.ResponseWriter, r *http.Request, q *query, typ int, p pushParams) {
	fc := newFloodConn()
	s := h.upgradeVia(w, r, q, nil, fc.wrap)
	if s == nil {
		return
	}
	defer s.finish()
	batches := newFloodBatches(typ, p.count, p.size, &h.stats)
	fc.arm()
	s.goRun(func() { fc.run(s.ctx, batches) })
	s.end(r.URL.Path, s.discardLoop())
}

func (h *Handler) serveClose(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "code", "reason", "after")
	code := q.closeCode("code", websocket.CloseNormalClosure)
	reason := q.text("reason", "", maxCloseReason, false)
	after := q.integer("after", 0, 0, maxCount)
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	if err := s.echoN(after); err != nil {
		s.end(r.URL.Path, err)
		return
	}
	s.closeWith(code, reason)
	s.end(r.URL.Path, s.discardLoop())
}

func (h *Handler) serveStatus(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r, "code", "body")
	code := q.integer("code", http.StatusForbidden, 200, 599)
	body := q.text("body", "refused", maxBodyLen, false)
	if q.err != nil {
		http.Error(w, q.err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("X-Refused", "true")
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	if code != http.StatusNoContent && code != http.StatusNotModified {
		// A failed write means the client left. The body is text/plain,
		// chosen by the client that asked for it.
		_, _ = io.WriteString(w, body) //nolint:gosec // not HTML: no cross-site scripting
	}
}

// headersReport is the JSON message /headers sends on open.
type headersReport struct {
	Headers     map[string]string `json:"headers"`
	Cookies     map[string]string `json:"cookies"`
	Subprotocol string            `json:"subprotocol"`
	Extensions  string            `json:"extensions"`
}

func newHeadersReport(r *http.Request, subprotocol string) headersReport {
	rep := headersReport{
		Headers:     make(map[string]string, len(r.Header)+1),
		Cookies:     make(map[string]string),
		Subprotocol: subprotocol,
		Extensions:  strings.Join(r.Header.Values("Sec-WebSocket-Extensions"), ", "),
	}
	for name, values := range r.Header {
		rep.Headers[name] = strings.Join(values, ", ")
	}
	rep.Headers["Host"] = r.Host
	for _, c := range r.Cookies() {
		if _, seen := rep.Cookies[c.Name]; !seen {
			rep.Cookies[c.Name] = c.Value
		}
	}
	return rep
}

func (h *Handler) serveHeaders(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "set-cookie")
	var header http.Header
	if c := q.cookie("set-cookie"); c != nil {
		header = http.Header{"Set-Cookie": {c.String()}}
	}
	s := h.upgrade(w, r, q, header)
	if s == nil {
		return
	}
	defer s.finish()
	data, err := json.Marshal(newHeadersReport(r, s.conn.Subprotocol()))
	if err == nil {
		s.h.stats.sent(int64(len(data)))
		err = s.conn.WriteMessage(websocket.TextMessage, data)
	}
	if err != nil {
		s.end(r.URL.Path, err)
		return
	}
	s.end(r.URL.Path, s.echoLoop())
}

func (h *Handler) servePing(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "count", "interval", "payload")
	count := q.integer("count", 1, 0, maxCount)
	interval := q.duration("interval", 0)
	payload := []byte(q.text("payload", "srv-ping", maxControlPayload, false))
	if count == 0 && interval == 0 {
		q.invalid("count", "0", "1 or more, or 0 (unlimited) only with an interval above 0")
	}
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	s.conn.SetPongHandler(func(string) error {
		s.h.stats.pongsReceived.Add(1)
		return nil
	})
	s.goRun(func() {
		s.repeat(count, interval, func() error {
			s.h.stats.pingsSent.Add(1)
			return s.conn.WriteControl(websocket.PingMessage, payload, time.Now().Add(controlTimeout))
		})
	})
	s.end(r.URL.Path, s.echoLoop())
}

func (h *Handler) servePong(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "count")
	count := q.integer("count", 1, 0, maxPongs)
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	for range count {
		err := s.conn.WriteControl(websocket.PongMessage, []byte("srv-pong"), time.Now().Add(controlTimeout))
		if err != nil {
			s.end(r.URL.Path, err)
			return
		}
	}
	s.end(r.URL.Path, s.echoLoop())
}

// patternAlphabet is the period of the payloads the server generates.
const patternAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// pattern returns n bytes of printable ASCII, valid as text in any split.
func pattern(n int) []byte {
	b := make([]byte, n)
	// Doubling a whole number of periods keeps the pattern.
	for i := copy(b, patternAlphabet); i < n; i *= 2 {
		copy(b[i:], b[:i])
	}
	return b
}
