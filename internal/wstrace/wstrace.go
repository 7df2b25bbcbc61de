// Package wstrace is K6_WS_DEBUG: a trace of what goes over the wire in the
// VU's log, as k6's --http-debug is for HTTP. K6_WS_DEBUG=1 logs each
// opening handshake's request and response headers; K6_WS_DEBUG=full also
// logs each frame both ways: its direction, opcode and length, and the first
// bytes of its payload.
//
// The mode is read once per VU, when the module is imported. Off, it costs a
// connection one branch per handshake and per frame.
package wstrace

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/loadkit/xk6-ws/internal/conn"
)

// EnvVar is the environment variable that sets the Mode.
const EnvVar = "K6_WS_DEBUG"

// Mode is what is traced.
type Mode uint8

// The modes of K6_WS_DEBUG.
const (
	// Off traces nothing: K6_WS_DEBUG unset, empty, "0" or "false".
	Off Mode = iota
	// Headers traces handshakes: any other value, such as "1".
	Headers
	// Full traces handshakes and frames: "full".
	Full
)

// ModeOf returns the mode that lookup, an environment lookup such as
// os.LookupEnv or k6's InitEnvironment.LookupEnv, sets; nil is Off.
func ModeOf(lookup func(key string) (string, bool)) Mode {
	if lookup == nil {
		return Off
	}
	v, _ := lookup(EnvVar)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false":
		return Off
	case "full":
		return Full
	default:
		return Headers
	}
}

// source is the log field that marks the trace's entries, as k6 marks
// --http-debug's.
const source = "ws-debug"

// Handshake is the trace of one opening handshake.
type Handshake struct {
	logger logrus.FieldLogger
	url    string

	mu      sync.Mutex
	request []string // the request's header lines, as written
}

// StartHandshake returns the trace of the handshake with target, a URL, that
// is dialled with the returned context, derived from ctx, or nil when mode is
// Off.
func StartHandshake(ctx context.Context, mode Mode, logger logrus.FieldLogger, target string) (context.Context, *Handshake) {
	if mode == Off {
		return ctx, nil
	}
	h := &Handshake{logger: logger, url: target}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaderField: h.wroteHeaderField}), h
}

func (h *Handshake) wroteHeaderField(key string, values []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, v := range values {
		h.request = append(h.request, key+": "+v)
	}
}

// End logs the handshake's request and its response hs, or err when it
// failed. It does nothing on a nil *Handshake.
func (h *Handshake) End(hs conn.Handshake, err error) {
	if h == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "WebSocket handshake with %s\nRequest:\nGET %s HTTP/1.1\n", h.url, requestURI(h.url))
	h.mu.Lock()
	for _, line := range h.request {
		b.WriteString(line + "\n")
	}
	h.mu.Unlock()
	b.WriteString("Response:\n")
	if hs.Status != 0 {
		fmt.Fprintf(&b, "HTTP/1.1 %d %s\n", hs.Status, http.StatusText(hs.Status))
		writeHeader(&b, hs.Header)
	} else {
		b.WriteString("none\n")
	}
	if err != nil {
		fmt.Fprintf(&b, "Error: %s\n", err)
	}
	h.logger.WithField("source", source).Info(b.String())
}

// requestURI is the request line's target for rawURL: its path and query.
func requestURI(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.RequestURI()
}

// writeHeader writes header's fields to b, sorted by name.
func writeHeader(b *strings.Builder, header http.Header) {
	names := make([]string, 0, len(header))
	for name := range header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range header[name] {
			b.WriteString(name + ": " + v + "\n")
		}
	}
}

// Frames returns the tracer of the frames of a connection to target, a URL,
// in mode: nil unless it is Full.
func Frames(mode Mode, logger logrus.FieldLogger, target string) conn.Tracer {
	if mode != Full {
		return nil
	}
	return &frameLog{logger: logger.WithField("source", source).WithField("url", target)}
}

// frameLog logs each frame in an entry of its own.
type frameLog struct {
	logger logrus.FieldLogger
}

// opcodes names the opcodes of RFC 6455 section 5.2.
var opcodes = map[int]string{1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}

// Frame logs one frame, its payload's first bytes quoted.
func (f *frameLog) Frame(dir conn.Direction, opcode, length int, prefix []byte) {
	more := ""
	if length > len(prefix) {
		more = "..."
	}
	f.logger.Infof("%s %s frame, %d bytes: %q%s", dir, opcodes[opcode], length, prefix, more)
}
