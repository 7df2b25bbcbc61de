package websockets

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/jsval"
)

// stateNames name the ready states in error messages.
var stateNames = [...]string{"CONNECTING", "OPEN", "CLOSING", "CLOSED"}

// defineWebSocket builds the WebSocket class: its constants, and the
// accessors and methods of its prototype.
func (m *module) defineWebSocket() error {
	ctor := &props{rt: m.rt, obj: m.webSocket}
	proto := &props{rt: m.rt, obj: m.wsProto}
	for i, name := range stateNames {
		ctor.constant(name, i)
		proto.constant(name, i)
	}
	proto.tag("WebSocket")
	proto.accessor("url", func(c sobek.FunctionCall) sobek.Value {
		return m.rt.ToValue(m.socketOf(c.This, "url").url)
	}, nil)
	proto.accessor("readyState", func(c sobek.FunctionCall) sobek.Value {
		return m.rt.ToValue(int(m.socketOf(c.This, "readyState").state))
	}, nil)
	proto.accessor("bufferedAmount", func(c sobek.FunctionCall) sobek.Value {
		return m.rt.ToValue(m.socketOf(c.This, "bufferedAmount").bufferedAmount())
	}, nil)
	proto.accessor("protocol", func(c sobek.FunctionCall) sobek.Value {
		return m.rt.ToValue(m.socketOf(c.This, "protocol").protocol)
	}, nil)
	proto.accessor("extensions", func(c sobek.FunctionCall) sobek.Value {
		ext := m.socketOf(c.This, "extensions").extensions
		values := make([]any, len(ext))
		for i, e := range ext {
			values[i] = e
		}
		return m.rt.NewArray(values...)
	}, nil)
	proto.accessor("binaryType", m.getBinaryType, m.setBinaryType)
	for t, name := range eventNames {
		proto.accessor("on"+name, func(c sobek.FunctionCall) sobek.Value {
			return m.socketOf(c.This, "on"+name).listeners.handler(eventType(t))
		}, func(c sobek.FunctionCall) sobek.Value {
			m.setHandler(m.socketOf(c.This, "on"+name), eventType(t), c.Argument(0))
			return sobek.Undefined()
		})
	}
	proto.method("send", m.send)
	proto.method("ping", m.ping)
	proto.method("close", m.close)
	proto.method("addEventListener", m.addEventListener)
	proto.method("removeEventListener", m.removeEventListener)
	if ctor.err != nil {
		return ctor.err
	}
	return proto.err
}

func (m *module) getBinaryType(c sobek.FunctionCall) sobek.Value {
	return m.rt.ToValue(m.socketOf(c.This, "binaryType").binaryType)
}

// setBinaryType sets binaryType; as WebIDL says of enumerations, a value
// other than "blob" and "arraybuffer" is ignored.
func (m *module) setBinaryType(c sobek.FunctionCall) sobek.Value {
	s := m.socketOf(c.This, "binaryType")
	if v := c.Argument(0).String(); v == binaryBlob || v == binaryArrayBuffer {
		s.binaryType = v
	}
	return sobek.Undefined()
}

func (m *module) setHandler(s *socket, t eventType, v sobek.Value) {
	if common.IsNullish(v) {
		s.listeners.setHandler(t, nil, nil)
		return
	}
	fn, ok := sobek.AssertFunction(v)
	if !ok {
		jsval.Throwf(m.rt, jsval.TypeError, "WebSocket.on%s must be a function or null, got %s",
			eventNames[t], jsval.Describe(v))
	}
	s.listeners.setHandler(t, v, fn)
}

func (m *module) addEventListener(c sobek.FunctionCall) sobek.Value {
	s := m.socketOf(c.This, "addEventListener")
	name := c.Argument(0).String()
	fn, ok := sobek.AssertFunction(c.Argument(1))
	if !ok {
		jsval.Throwf(m.rt, jsval.TypeError,
			"WebSocket.addEventListener: the listener for event type %s must be a function, got %s",
			jsval.Quote(name), jsval.Describe(c.Argument(1)))
	}
	opts := listenerOptions(c.Argument(2))
	t, known := eventTypeOf(name)
	if !known {
		if state := m.vu.State(); state != nil {
			state.Logger.Warnf("WebSocket.addEventListener: unknown event type %s ignored (known: %s)",
				jsval.Quote(name), strings.Join(eventNames[:], ", "))
		}
		return sobek.Undefined()
	}
	s.listeners.add(t, listener{value: c.Argument(1), fn: fn, capture: opts.capture, once: opts.once})
	return sobek.Undefined()
}

func (m *module) removeEventListener(c sobek.FunctionCall) sobek.Value {
	s := m.socketOf(c.This, "removeEventListener")
	if t, known := eventTypeOf(c.Argument(0).String()); known {
		s.listeners.remove(t, c.Argument(1), listenerOptions(c.Argument(2)).capture)
	}
	return sobek.Undefined()
}

// options are the options of addEventListener that apply to a WebSocket.
type options struct{ capture, once bool }

// listenerOptions reads the options argument of addEventListener and
// removeEventListener as the DOM does: an object's capture and once
// properties, or any other value as the capture flag.
func listenerOptions(v sobek.Value) options {
	if common.IsNullish(v) {
		return options{}
	}
	obj, ok := v.(*sobek.Object)
	if !ok {
		return options{capture: v.ToBoolean()}
	}
	flag := func(name string) bool {
		f := obj.Get(name)
		return f != nil && f.ToBoolean()
	}
	return options{capture: flag("capture"), once: flag("once")}
}

// send is WebSocket.prototype.send(data). The data is converted first, as
// WebIDL does, then the ready state decides: CONNECTING throws, OPEN queues,
// and CLOSING and CLOSED discard the data.
func (m *module) send(c sobek.FunctionCall) sobek.Value {
	s := m.socketOf(c.This, "send")
	binary, data := m.messageData(c.Argument(0))
	if s.state == connecting {
		jsval.Throwf(m.rt, jsval.InvalidStateError,
			"Failed to execute 'send' on 'WebSocket': the WebSocket is still in the CONNECTING state")
	}
	if err := s.send(binary, data); err != nil {
		common.Throw(m.rt, fmt.Errorf("WebSocket.send: %w", err))
	}
	return sobek.Undefined()
}

// messageData converts what send was given to a message, or throws. The
// bytes are the value's own: the connection copies them before the script
// runs again.
func (m *module) messageData(v sobek.Value) (binary bool, data []byte) {
	if v.ExportType() == typeString { // a string, or a String object
		x := v.String()
		if !utf8.ValidString(x) {
			x = strings.ToValidUTF8(x, "\uFFFD")
		}
		return false, conn.StringBytes(x)
	}
	if b, ok := native[*blob](v, m.blobKey); ok {
		return true, b.data
	}
	if view, ok := jsval.Bytes(m.rt, v); ok {
		return true, view // the connection copies what it queues
	}
	jsval.Throwf(m.rt, jsval.TypeError, "WebSocket.send: data must be a string, an ArrayBuffer, an ArrayBufferView "+
		"(a typed array or a DataView) or a Blob, got %s", jsval.Describe(v))
	return false, nil
}

// typeString is the export type of strings and String objects.
var typeString = reflect.TypeFor[string]()

func cloneBytes(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

func (m *module) ping(c sobek.FunctionCall) sobek.Value {
	if err := m.socketOf(c.This, "ping").ping(); err != nil {
		jsval.Throw(m.rt, err)
	}
	return sobek.Undefined()
}

func (m *module) close(c sobek.FunctionCall) sobek.Value {
	s := m.socketOf(c.This, "close")
	code, err := closeCode(c.Argument(0))
	if err != nil {
		jsval.Throw(m.rt, err)
	}
	reason, err := closeReason(c.Argument(1))
	if err != nil {
		jsval.Throw(m.rt, err)
	}
	s.close(code, reason)
	return sobek.Undefined()
}

// closeCode converts close's code as WebIDL's [Clamp] unsigned short does
// and checks that a script may send it: 1000 or 3000-4999. An absent code
// is 1000.
func closeCode(v sobek.Value) (conn.StatusCode, error) {
	if v == nil || sobek.IsUndefined(v) {
		return conn.CloseNormal, nil
	}
	f := v.ToFloat()
	if math.IsNaN(f) {
		f = 0
	}
	code := conn.StatusCode(math.RoundToEven(math.Min(math.Max(f, 0), math.MaxUint16)))
	if code != conn.CloseNormal && (code < 3000 || code > 4999) {
		return 0, jsval.Errorf(jsval.InvalidAccessError, "Failed to execute 'close' on 'WebSocket': "+
			"The close code must be either 1000, or between 3000 and 4999. %d is neither", int(code))
	}
	return code, nil
}

// closeReason converts close's reason to a string of at most 123 UTF-8
// bytes.
func closeReason(v sobek.Value) (string, error) {
	if v == nil || sobek.IsUndefined(v) {
		return "", nil
	}
	reason := v.String()
	if !utf8.ValidString(reason) {
		reason = strings.ToValidUTF8(reason, "\uFFFD")
	}
	if len(reason) > conn.MaxCloseReason {
		return "", jsval.Errorf(jsval.SyntaxError, "Failed to execute 'close' on 'WebSocket': "+
			"The message must not be greater than %d bytes, got %d", conn.MaxCloseReason, len(reason))
	}
	return reason, nil
}
