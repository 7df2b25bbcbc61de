package websockets

import (
	"errors"
	"fmt"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/jsval"
)

// streamClasses are the WebSocketStream and WebSocketError classes of a
// VU, and the lifetime of its streams.
type streamClasses struct {
	wssCtor    *sobek.Object
	wssProto   *sobek.Object
	wsErrCtor  *sobek.Object
	wsErrProto *sobek.Object
	// wssKey holds, on each WebSocketStream, the Go value behind it.
	wssKey *sobek.Symbol
	// noop is a function that does nothing, to mark promises as handled.
	noop    sobek.Value
	streams streamLives
}

// streamExports are the named exports of the classes.
func (m *module) streamExports(exports map[string]any) map[string]any {
	exports["WebSocketStream"] = m.wssCtor
	exports["WebSocketError"] = m.wsErrCtor
	return exports
}

// defineStreams builds the WebSocketStream and WebSocketError classes.
func (m *module) defineStreams() error {
	m.wssKey = sobek.NewSymbol("xk6-ws.WebSocketStream")
	m.noop = m.rt.ToValue(func(sobek.FunctionCall) sobek.Value { return sobek.Undefined() })

	var err error
	if m.wsErrCtor, err = named(m.rt, "WebSocketError", m.newWebSocketError); err != nil {
		return err
	}
	m.wsErrProto = m.wsErrCtor.Get("prototype").ToObject(m.rt)
	errorProto := m.rt.Get("Error").ToObject(m.rt).Get("prototype").ToObject(m.rt)
	if err := m.wsErrProto.SetPrototype(errorProto); err != nil {
		return fmt.Errorf("websockets: building the WebSocketError class: %w", err)
	}
	if err := m.wsErrProto.DefineDataProperty("name", m.rt.ToValue("WebSocketError"),
		sobek.FLAG_TRUE, sobek.FLAG_FALSE, sobek.FLAG_TRUE); err != nil {
		return fmt.Errorf("websockets: building the WebSocketError class: %w", err)
	}

	if m.wssCtor, err = named(m.rt, "WebSocketStream", m.newWebSocketStream); err != nil {
		return err
	}
	m.wssProto = m.wssCtor.Get("prototype").ToObject(m.rt)
	proto := &props{rt: m.rt, obj: m.wssProto}
	proto.tag("WebSocketStream")
	proto.accessor("url", func(c sobek.FunctionCall) sobek.Value {
		return m.rt.ToValue(m.streamOf(c.This, "url").url)
	}, nil)
	proto.accessor("opened", func(c sobek.FunctionCall) sobek.Value {
		s := m.streamOf(c.This, "opened")
		s.enter()
		return m.rt.ToValue(s.opened.p)
	}, nil)
	proto.accessor("closed", func(c sobek.FunctionCall) sobek.Value {
		s := m.streamOf(c.This, "closed")
		s.enter()
		return m.rt.ToValue(s.closed.p)
	}, nil)
	proto.method("close", func(c sobek.FunctionCall) sobek.Value {
		s := m.streamOf(c.This, "close")
		code, reason := m.closeArgs(c.Argument(0), "WebSocketStream.close")
		s.enter()
		s.startClose(code, reason)
		return sobek.Undefined()
	})
	if proto.err != nil {
		return fmt.Errorf("websockets: building the WebSocketStream class: %w", proto.err)
	}
	return nil
}

// enter runs at every call into a stream from the script: it watches the
// running iteration and takes in what happened since the last call.
func (s *wsStream) enter() {
	s.life.watch(s.m.vu.Context())
	s.pull()
	s.hold()
}

// newWebSocketError is the constructor: new WebSocketError(message, { closeCode, reason }).
func (m *module) newWebSocketError(call sobek.ConstructorCall) *sobek.Object {
	if !inherits(call.This, m.wsErrProto) {
		jsval.Throwf(m.rt, jsval.TypeError, "Failed to construct 'WebSocketError': please use the 'new' operator")
	}
	message := ""
	if v := call.Argument(0); !sobek.IsUndefined(v) {
		message = v.String()
	}
	var code any // null when no code is given
	reason := ""
	if init := call.Argument(1); !common.IsNullish(init) {
		c, r := m.closeArgs(init, "WebSocketError")
		reason = r
		if c != conn.CloseNoStatus {
			code = int(c)
		}
	}
	m.setErrorFields(call.This, message, code, reason)
	return nil
}

// webSocketError returns a WebSocketError made by the module.
func (m *module) webSocketError(message string, code int, reason string) *sobek.Object {
	obj := m.rt.NewObject()
	if err := obj.SetPrototype(m.wsErrProto); err != nil {
		return m.rt.NewGoError(errors.New(message))
	}
	m.setErrorFields(obj, message, code, reason)
	return obj
}

// setHandshakeFields gives the WebSocketError of a failed opening handshake
// the failure's k6 error code and the HTTP status the server answered, 0
// when none came.
func (m *module) setHandshakeFields(obj *sobek.Object, errorCode, status int) {
	_ = obj.DefineDataProperty("error_code", m.rt.ToValue(errorCode), sobek.FLAG_TRUE, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	_ = obj.DefineDataProperty("status", m.rt.ToValue(status), sobek.FLAG_TRUE, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
}

func (m *module) setErrorFields(obj *sobek.Object, message string, code any, reason string) {
	for _, f := range []struct {
		name string
		v    any
	}{{"message", message}, {"closeCode", code}, {"reason", reason}} {
		_ = obj.DefineDataProperty(f.name, m.rt.ToValue(f.v), sobek.FLAG_TRUE, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	}
}
