package ws

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/events"
	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/params"
)

// maxCloseReason is the longest close reason a close frame can carry, in
// bytes (RFC 6455 section 5.5: 125 bytes of payload, 2 of them the code).
const maxCloseReason = 123

// maxTimerMs is the longest delay setTimeout and setInterval accept, in ms.
const maxTimerMs = float64(math.MaxInt64 / int64(time.Millisecond))

// socketMethods are the methods of Socket objects. They live on one
// prototype per VU, so that a socket costs one small object, not a function
// object per method: that is most of what an idle k6/ws socket costs.
var socketMethods = []struct { //nolint:gochecknoglobals // a constant table
	name string
	call func(s *socket, args []sobek.Value) error
}{
	{"on", func(s *socket, a []sobek.Value) error { s.on(arg(a, 0), arg(a, 1)); return nil }},
	{"send", func(s *socket, a []sobek.Value) error { return s.send(arg(a, 0)) }},
	{"sendBinary", func(s *socket, a []sobek.Value) error { return s.sendBinary(a...) }},
	{"ping", func(s *socket, _ []sobek.Value) error { return s.ping() }},
	{"close", func(s *socket, a []sobek.Value) error { return s.close(a...) }},
	{"setTimeout", func(s *socket, a []sobek.Value) error { return s.setTimeout(arg(a, 0), arg(a, 1)) }},
	{"setInterval", func(s *socket, a []sobek.Value) error { return s.setInterval(arg(a, 0), arg(a, 1)) }},
}

// arg returns argument i, or undefined when the call has fewer.
func arg(args []sobek.Value, i int) sobek.Value {
	if i < len(args) {
		return args[i]
	}
	return sobek.Undefined()
}

// socketPrototype returns the VU's prototype of Socket objects, making it on
// first use. Its methods find their socket through this.
func (mi *moduleInstance) socketPrototype() *sobek.Object {
	if mi.proto != nil {
		return mi.proto
	}
	rt := mi.vu.Runtime()
	mi.sockets = make(map[sobek.Value]*socket, 1)
	mi.proto = rt.NewObject()
	for _, m := range socketMethods {
		call := m.call
		name := m.name
		fn := func(fc sobek.FunctionCall) sobek.Value {
			s := mi.sockets[fc.This]
			if s == nil {
				common.Throw(rt, fmt.Errorf("socket.%s: the socket is closed: ws.connect has returned", name))
			}
			if err := call(s, fc.Arguments); err != nil {
				common.Throw(rt, err)
			}
			return sobek.Undefined()
		}
		if err := mi.proto.Set(name, fn); err != nil {
			common.Throw(rt, fmt.Errorf("building the Socket prototype: %w", err))
		}
	}
	return mi.proto
}

// on adds handler to the handlers of event. Like k6, it ignores a handler
// that is not a function and accepts any event name.
func (s *socket) on(event, handler sobek.Value) {
	fn, ok := sobek.AssertFunction(handler)
	if !ok {
		return
	}
	name := ""
	if event != nil {
		name = event.String()
	}
	s.handlers[name] = append(s.handlers[name], fn)
}

// send queues a text message. Like k6, undefined and null send an empty
// message and other values are converted to strings.
func (s *socket) send(message sobek.Value) error {
	text := ""
	if !common.IsNullish(message) {
		text = message.String()
	}
	return s.write(false, []byte(text), "send")
}

// sendBinary queues a binary message: the bytes of an ArrayBuffer, or those
// that a typed array or DataView covers.
func (s *socket) sendBinary(args ...sobek.Value) error {
	if len(args) == 0 {
		return errors.New("socket.sendBinary: missing argument, expected ArrayBuffer or an ArrayBuffer view")
	}
	data, ok := binaryData(s.rt, args[0])
	if !ok {
		return fmt.Errorf("socket.sendBinary: expected ArrayBuffer as argument, received: %s", typeName(s.rt, args[0]))
	}
	return s.write(true, data, "sendBinary")
}

// write queues a data message and counts it. A message the connection does
// not take is an error event, not an exception.
func (s *socket) write(binary bool, data []byte, method string) error {
	if err := s.conn.Send(binary, data); err != nil {
		return s.writeFailed(method, err)
	}
	s.sess.MessageSent(time.Now())
	return nil
}

// ping sends a ping frame; its pong is a pong event and a ws_ping sample.
func (s *socket) ping() error {
	if err := s.conn.Ping(); err != nil {
		return s.writeFailed("ping", err)
	}
	return nil
}

// writeFailed reports err to the error handlers. Writing after close gives
// the error k6 gives ("websocket: close sent"), which scripts compare with.
// An exception of a handler is thrown on.
func (s *socket) writeFailed(method string, err error) error {
	if errors.Is(err, conn.ErrClosing) || errors.Is(err, conn.ErrClosed) {
		err = websocket.ErrCloseSent
	} else {
		err = fmt.Errorf("socket.%s: %w", method, err)
	}
	if herr := s.emit(events.Error, s.rt.ToValue(err)); herr != nil && !errors.Is(herr, errInterrupted) {
		return herr
	}
	return nil
}

// close starts the close handshake with code (default 1001, going away, as
// in k6) and reason. The close event comes when the peer answers, or after
// closeTimeout. Calls after the first do nothing.
func (s *socket) close(args ...sobek.Value) error {
	code, reason, err := closeArgs(args)
	if err != nil {
		return err
	}
	if s.closing || s.closed {
		return nil
	}
	s.closing = true
	s.closeCode, s.closeReason = code, reason
	s.timers.stop()
	s.conn.Close(code, reason)
	return nil
}

func closeArgs(args []sobek.Value) (int, string, error) {
	code, reason := conn.CloseGoingAway, ""
	if len(args) > 0 && !common.IsNullish(args[0]) {
		c := args[0].ToInteger()
		if !validCloseCode(c) {
			return 0, "", fmt.Errorf("socket.close: code must be 1000-1003, 1007-1014 or 3000-4999, got %s",
				args[0].String())
		}
		code = int(c)
	}
	if len(args) > 1 && !common.IsNullish(args[1]) {
		reason = args[1].String()
		if len(reason) > maxCloseReason || !utf8.ValidString(reason) {
			return 0, "", fmt.Errorf("socket.close: reason must be valid UTF-8 of at most %d bytes, got %d bytes",
				maxCloseReason, len(reason))
		}
	}
	return code, reason, nil
}

// validCloseCode reports whether an endpoint may send code in a close frame.
func validCloseCode(code int64) bool {
	return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999
}

// setTimeout runs fn once, at least ms milliseconds from now.
func (s *socket) setTimeout(fn, ms sobek.Value) error {
	return s.schedule("setTimeout", fn, ms, false)
}

// setInterval runs fn every ms milliseconds until the socket closes.
func (s *socket) setInterval(fn, ms sobek.Value) error {
	return s.schedule("setInterval", fn, ms, true)
}

func (s *socket) schedule(method string, fnV, msV sobek.Value, repeat bool) error {
	fn, ok := sobek.AssertFunction(fnV)
	if !ok {
		return fmt.Errorf("socket.%s: the first argument must be a function, got %s", method, params.Describe(fnV))
	}
	ms := 0.0
	if !common.IsNullish(msV) {
		ms = msV.ToFloat()
	}
	if math.IsNaN(ms) || ms > maxTimerMs {
		return fmt.Errorf("socket.%s: the timeout must be a number of milliseconds up to %.0f, got %s",
			method, maxTimerMs, msV.String())
	}
	d := time.Duration(ms * float64(time.Millisecond))
	if d <= 0 {
		return fmt.Errorf("%s requires a >0 timeout parameter, received %.2f", method, ms)
	}
	if s.closing || s.closed {
		return nil
	}
	s.timers.add(fn, d, repeat)
	return nil
}

// binaryData copies the bytes of an ArrayBuffer or ArrayBuffer view.
func binaryData(rt *sobek.Runtime, v sobek.Value) ([]byte, bool) {
	if common.IsNullish(v) {
		return nil, false
	}
	if ab, ok := v.Export().(sobek.ArrayBuffer); ok {
		return bytes.Clone(ab.Bytes()), true
	}
	obj, ok := v.(*sobek.Object)
	if !ok || !isView(rt, obj) {
		return nil, false
	}
	buffer, offset, length := obj.Get("buffer"), obj.Get("byteOffset"), obj.Get("byteLength")
	if buffer == nil || offset == nil || length == nil {
		return nil, false
	}
	ab, ok := buffer.Export().(sobek.ArrayBuffer)
	if !ok {
		return nil, false
	}
	buf := ab.Bytes()
	off, n := offset.ToInteger(), length.ToInteger()
	if off < 0 || n < 0 || off > int64(len(buf)) || n > int64(len(buf))-off {
		return nil, false
	}
	return bytes.Clone(buf[off : off+n]), true
}

// isView reports whether obj is a typed array or a DataView.
func isView(rt *sobek.Runtime, obj *sobek.Object) bool {
	ctor, ok := rt.Get("ArrayBuffer").(*sobek.Object)
	if !ok {
		return false
	}
	fn, ok := sobek.AssertFunction(ctor.Get("isView"))
	if !ok {
		return false
	}
	res, err := fn(ctor, obj)
	return err == nil && res.ToBoolean()
}

// typeName names the type of v the way k6's error messages do: "null",
// "undefined" or the name of its constructor, e.g. "Number" or "Array".
func typeName(rt *sobek.Runtime, v sobek.Value) string {
	if common.IsNullish(v) {
		if v == nil {
			return "undefined"
		}
		return v.String()
	}
	if ctor, ok := v.ToObject(rt).Get("constructor").(*sobek.Object); ok {
		if name := ctor.Get("name"); name != nil && name.String() != "" {
			return name.String()
		}
	}
	return "Object"
}
