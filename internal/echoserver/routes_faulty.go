package echoserver

import (
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

const (
	maxBigSize       = 256 << 20
	defaultBombSize  = 256 << 20
	maxBombSize      = 1 << 30
	maxFragmentSize  = 16 << 20
	maxFragmentParts = 4096
	garbageTimeout   = 2 * time.Second
	peerPollInterval = 100 * time.Millisecond
)

// garbage is what /garbage answers instead of a handshake.
const garbage = "this is not HTTP\r\n\r\n\x00\x01\x02\xfe\xffgarbage\n"

func (h *Handler) serveHang(w http.ResponseWriter, r *http.Request) {
	c := h.hijack(w, r, newQuery(r))
	if c == nil {
		return
	}
	defer h.release(c)
	// Hold the connection, discarding anything sent, until the client goes
	// or Close closes it.
	_, _ = io.Copy(io.Discard, c)
}

func (h *Handler) serveGarbage(w http.ResponseWriter, r *http.Request) {
	c := h.hijack(w, r, newQuery(r))
	if c == nil {
		return
	}
	defer h.release(c)
	_ = c.SetWriteDeadline(time.Now().Add(garbageTimeout)) // a closed conn fails the write below
	if _, err := io.WriteString(c, garbage); err != nil {
		h.logf("echoserver: %s: %v", r.URL.Path, err)
	}
}

func (h *Handler) serveDrop(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "after", "mode")
	after := q.integer("after", 0, 0, maxCount)
	reset := q.choice("mode", "fin", "fin", "rst") == "rst"
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	if err := s.echoN(after); err != nil {
		s.end(r.URL.Path, err)
		return
	}
	raw := rawConn(s.netConn)
	if tcp, ok := raw.(*net.TCPConn); ok && reset {
		if err := tcp.SetLinger(0); err != nil {
			h.logf("echoserver: %s: set linger: %v", r.URL.Path, err)
		}
	}
	_ = raw.Close() // the drop itself; finish closes what is left
}

func (h *Handler) serveNoClose(w http.ResponseWriter, r *http.Request) {
	s := h.upgrade(w, r, newWSQuery(r), nil)
	if s == nil {
		return
	}
	defer s.finish()
	s.conn.SetCloseHandler(ignoreClose)
	err := s.echoLoop()
	var closeErr *websocket.CloseError
	if !errors.As(err, &closeErr) {
		s.end(r.URL.Path, err)
		return
	}
	// Keep TCP open, unanswered, until the client drops it or Close ends it.
	_, _ = io.Copy(io.Discard, s.netConn)
}

func (h *Handler) serveBig(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "size")
	size := q.integer("size", 1<<20, 0, maxBigSize)
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	if err := s.sendPattern(websocket.BinaryMessage, size); err != nil {
		s.end(r.URL.Path, err)
		return
	}
	s.end(r.URL.Path, s.echoLoop())
}

// sendPattern streams one message of size pattern bytes.
func (s *session) sendPattern(typ, size int) error {
	// A whole number of pattern periods, so the chunks continue the pattern.
	return s.sendRepeated(typ, size, pattern(min(size, copyBufferSize/len(patternAlphabet)*len(patternAlphabet))))
}

// sendRepeated streams one message of size bytes made of chunk, repeated
// and cut short at the end.
func (s *session) sendRepeated(typ, size int, chunk []byte) error {
	w, err := s.conn.NextWriter(typ)
	if err != nil {
		return err
	}
	for left := size; left > 0; left -= len(chunk) {
		chunk = chunk[:min(left, len(chunk))]
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	s.h.stats.sent(int64(size))
	if err := w.Close(); err != nil {
		return err
	}
	return nil
}

// serveDeflateBomb sends a message that inflates to far more than it
// weighs: size zero bytes compressed with permessage-deflate, about a
// thousandth of that on the wire.
func (h *Handler) serveDeflateBomb(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "size")
	size := q.integer("size", defaultBombSize, 0, maxBombSize)
	if websocket.IsWebSocketUpgrade(r) && !offersDeflate(r) {
		q.setErr(errors.New(r.URL.Path + " sends a compressed message: the client must offer permessage-deflate"))
	}
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	s.conn.EnableWriteCompression(true)
	if err := s.conn.SetCompressionLevel(flate.BestSpeed); err != nil {
		s.end(r.URL.Path, err)
		return
	}
	if err := s.sendRepeated(websocket.BinaryMessage, size, make([]byte, min(size, copyBufferSize))); err != nil {
		s.end(r.URL.Path, err)
		return
	}
	s.end(r.URL.Path, s.echoLoop())
}

func (h *Handler) serveInvalidUTF8(w http.ResponseWriter, r *http.Request) {
	s := h.upgrade(w, r, newWSQuery(r), nil)
	if s == nil {
		return
	}
	defer s.finish()
	invalid := []byte{0xff, 0xfe}
	s.h.stats.sent(int64(len(invalid)))
	if err := s.conn.WriteMessage(websocket.TextMessage, invalid); err != nil {
		s.end(r.URL.Path, err)
		return
	}
	s.end(r.URL.Path, s.echoLoop())
}

func (h *Handler) serveFragmented(w http.ResponseWriter, r *http.Request) {
	q := newWSQuery(r, "parts", "size")
	parts := q.integer("parts", 3, 1, maxFragmentParts)
	size := q.integer("size", 3000, 0, maxFragmentSize)
	s := h.upgrade(w, r, q, nil)
	if s == nil {
		return
	}
	defer s.finish()
	// Nothing else writes yet, so the frames can go straight to the socket.
	s.h.stats.sent(int64(size))
	if _, err := s.netConn.Write(fragments(pattern(size), parts)); err != nil {
		s.end(r.URL.Path, err)
		return
	}
	s.end(r.URL.Path, s.echoLoop())
}

// fragments encodes payload as one unmasked text message of parts frames:
// a text frame, continuation frames, FIN on the last. The last frame takes
// the remainder of an uneven split.
func fragments(payload []byte, parts int) []byte {
	const (
		opText       = 0x1
		opContinuing = 0x0
	)
	out := make([]byte, 0, len(payload)+parts*10)
	chunk := len(payload) / parts
	for i := range parts {
		start, end := i*chunk, (i+1)*chunk
		head := byte(opContinuing)
		if i == 0 {
			head = opText
		}
		if i == parts-1 {
			head |= finBit
			end = len(payload)
		}
		out = appendFrameHeader(out, head, end-start)
		out = append(out, payload[start:end]...)
	}
	return out
}

// appendFrameHeader appends a server frame header (no mask) for n bytes.
func appendFrameHeader(b []byte, head byte, n int) []byte {
	switch {
	case n < 126:
		return append(b, head, byte(n)) //nolint:gosec // n < 126 here
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, head, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, head, 127), uint64(n))
	}
}

func (h *Handler) serveSlowRead(w http.ResponseWriter, r *http.Request) {
	s := h.upgrade(w, r, newWSQuery(r), nil)
	if s == nil {
		return
	}
	defer s.finish()
	// Never read: poll the socket state instead, to notice the client going.
	tick := time.NewTicker(peerPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
			if peerGone(s.netConn) {
				return
			}
		}
	}
}
