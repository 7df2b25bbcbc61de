package ws

import (
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/events"
	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/jsval"
)

// maxTimerMs is the longest delay setTimeout and setInterval accept, in ms.
const maxTimerMs = float64(math.MaxInt64 / int64(time.Millisecond))

// socketMethod is a method of Socket objects.
type socketMethod struct {
	name string
	call func(s *socket, args []sobek.Value) error
}

// numSocketMethods is how many methods Socket objects have: the length of
// socketMethods, which a socket's array of bound methods cannot name.
const numSocketMethods = 7

// socketMethods has numSocketMethods entries: were it not so, one of these
// differences would be a negative constant, which does not compile as a uint.
const _ = uint(numSocketMethods-len(socketMethods)) + uint(len(socketMethods)-numSocketMethods)

// socketMethods are the methods of Socket objects.
var socketMethods = [...]socketMethod{
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
// first use.
//
// Its methods are accessors. Read on an open socket, a method is a function
// bound to that socket, made the first time the script reads it and kept by
// the socket, so that it also works detached, as in k6:
// socket.setInterval(socket.ping, 1000) or const { send } = socket. A socket
// costs one small object plus one function per method the script reads,
// never one per method it has. Read on a socket whose ws.connect has
// returned, a method throws that the socket is closed; read on anything else
// (the prototype itself), it finds its socket through this when called, and
// throws a TypeError when this is not an open Socket.
func (mi *moduleInstance) socketPrototype() *sobek.Object {
	if mi.proto != nil {
		return mi.proto
	}
	rt := mi.vu.Runtime()
	mi.sockets = make(map[sobek.Value]*socket, 1)
	mi.proto = rt.NewObject()
	for i := range socketMethods {
		getter := rt.ToValue(func(fc sobek.FunctionCall) sobek.Value {
			if s := mi.sockets[fc.This]; s != nil {
				return mi.bound(s, i)
			}
			if mi.isSocket(fc.This) {
				return mi.standIn(closedStandIn, i)
			}
			return mi.standIn(unboundStandIn, i)
		})
		if err := mi.proto.DefineAccessorProperty(socketMethods[i].name, getter, nil, sobek.FLAG_TRUE, sobek.FLAG_TRUE); err != nil {
			common.Throw(rt, fmt.Errorf("building the Socket prototype: %w", err))
		}
	}
	return mi.proto
}

// The kinds of stand-in a method getter returns when this is no open socket.
const (
	// closedStandIn is method i of a socket whose ws.connect has returned:
	// calling it throws.
	closedStandIn = iota
	// unboundStandIn is method i read from something else (the prototype
	// itself, say): it runs on the socket it is called on, if any.
	unboundStandIn
)

// standIn returns the stand-in of kind for method i, making it on first use:
// a VU that never reads a method off something other than an open socket
// pays for none.
func (mi *moduleInstance) standIn(kind, i int) sobek.Value {
	fns := &mi.standIns[kind]
	if *fns == nil {
		*fns = make([]sobek.Value, len(socketMethods))
	}
	if fn := (*fns)[i]; fn != nil {
		return fn
	}
	rt := mi.vu.Runtime()
	m := &socketMethods[i]
	fn := rt.ToValue(func(fc sobek.FunctionCall) sobek.Value {
		if kind == closedStandIn {
			common.Throw(rt, m.closedError())
		}
		s := mi.sockets[fc.This]
		if s == nil {
			mi.throwNotSocket(m, fc.This)
		}
		return mi.invoke(s, m, fc.Arguments)
	})
	(*fns)[i] = fn
	return fn
}

// bound returns method i bound to s, making it on first use.
func (mi *moduleInstance) bound(s *socket, i int) sobek.Value {
	if fn := s.methods[i]; fn != nil {
		return fn
	}
	m := &socketMethods[i]
	fn := mi.vu.Runtime().ToValue(func(fc sobek.FunctionCall) sobek.Value {
		return mi.invoke(s, m, fc.Arguments)
	})
	s.methods[i] = fn
	return fn
}

// invoke calls m on s, unless ws.connect has returned for s.
func (mi *moduleInstance) invoke(s *socket, m *socketMethod, args []sobek.Value) sobek.Value {
	rt := mi.vu.Runtime()
	if mi.sockets[s.obj] != s {
		common.Throw(rt, m.closedError())
	}
	if err := m.call(s, args); err != nil {
		common.Throw(rt, err)
	}
	return sobek.Undefined()
}

// isSocket reports whether v was made as a Socket of this VU, open or not:
// its prototype is the VU's Socket prototype.
func (mi *moduleInstance) isSocket(v sobek.Value) bool {
	obj, ok := v.(*sobek.Object)
	return ok && obj != mi.proto && obj.Prototype() == mi.proto
}

// throwNotSocket throws the TypeError of m called on this, which is not an
// open Socket.
func (mi *moduleInstance) throwNotSocket(m *socketMethod, this sobek.Value) {
	rt := mi.vu.Runtime()
	if mi.isSocket(this) {
		common.Throw(rt, m.closedError())
	}
	panic(rt.NewTypeError("socket.%s called on %s, which is not a Socket", m.name, jsval.Describe(this)))
}

// closedError is the error of m called once its socket's ws.connect has
// returned.
func (m *socketMethod) closedError() error {
	return fmt.Errorf("socket.%s: the socket is closed: ws.connect has returned", m.name)
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
	s.handlers.add(name, fn)
}

// send queues a text message. Like k6, undefined and null send an empty
// message and other values are converted to strings.
func (s *socket) send(message sobek.Value) error {
	text := ""
	if !common.IsNullish(message) {
		text = message.String()
	}
	return s.write(false, conn.StringBytes(text), "send")
}

// sendBinary queues a binary message: the bytes of an ArrayBuffer, or those
// that a typed array or DataView covers. Its errors begin with k6's words
// ("expected ArrayBuffer as argument, received: String"), which scripts
// match, and say what else it takes.
func (s *socket) sendBinary(args ...sobek.Value) error {
	const takes = "socket.sendBinary takes an ArrayBuffer, a typed array or a DataView"
	if len(args) == 0 {
		return errors.New("missing argument, expected ArrayBuffer (" + takes + ")")
	}
	data, ok := jsval.Bytes(s.rt, args[0])
	if !ok {
		return fmt.Errorf("expected ArrayBuffer as argument, received: %s (%s; got %s)",
			jsval.TypeName(args[0]), takes, jsval.Describe(args[0]))
	}
	return s.write(true, data, "sendBinary")
}

// write queues a data message and counts it. While the write queue is full
// it waits for room, as k6's synchronous write does, until the VU's context
// ends. A message the connection does not take is an error event, not an
// exception.
func (s *socket) write(binary bool, data []byte, method string) error {
	if err := s.conn.SendWait(s.ctx, binary, data); err != nil {
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

// errCloseSent is the error k6 gives for a write after close().
var errCloseSent = errors.New("websocket: close sent")

// writeFailed reports err to the error handlers. Writing after close() gives
// the error k6 gives ("websocket: close sent"), which scripts compare with;
// otherwise the error says why the connection takes no more messages: the
// peer dropped it, the peer closed it (with its code), or the VU stopped. An
// exception of a handler is thrown on.
func (s *socket) writeFailed(method string, err error) error {
	if s.closing || errors.Is(err, conn.ErrClosing) {
		err = errCloseSent
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
	s.conn.Close(conn.StatusCode(code), reason)
	return nil
}

func closeArgs(args []sobek.Value) (int, string, error) {
	code, reason := int(conn.CloseGoingAway), ""
	if len(args) > 0 && !common.IsNullish(args[0]) {
		c := args[0].ToInteger()
		if !validCloseCode(c) {
			return 0, "", fmt.Errorf("socket.close: code must be 1000-1003, 1007-1014 or 3000-4999, got %s",
				numberText(args[0]))
		}
		code = int(c)
	}
	if len(args) > 1 && !common.IsNullish(args[1]) {
		reason = args[1].String()
		if len(reason) > conn.MaxCloseReason || !utf8.ValidString(reason) {
			return 0, "", fmt.Errorf("socket.close: reason must be valid UTF-8 of at most %d bytes, got %d bytes",
				conn.MaxCloseReason, len(reason))
		}
	}
	return code, reason, nil
}

// numberText is v as an error message shows a number argument: a number as
// it prints, any other value as jsval.Describe says.
func numberText(v sobek.Value) string {
	switch v.Export().(type) {
	case int64, float64:
		return v.String()
	}
	return jsval.Describe(v)
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
		return fmt.Errorf("socket.%s: the first argument must be a function, got %s", method, jsval.Describe(fnV))
	}
	ms := 0.0
	if !common.IsNullish(msV) {
		ms = msV.ToFloat()
	}
	if math.IsNaN(ms) || ms > maxTimerMs {
		return fmt.Errorf("socket.%s: the timeout must be a number of milliseconds up to %.0f, got %s",
			method, maxTimerMs, numberText(msV))
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
