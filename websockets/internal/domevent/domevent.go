// Package domevent builds the DOM event objects that the WebSocket class
// hands to its listeners: Event, MessageEvent, CloseEvent and ErrorEvent.
package domevent

import (
	"time"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/events"
)

// Builder makes the event objects that one event target (a WebSocket) hands
// to its listeners. Every event has the read-only, enumerable properties
// type, target and timestamp; the kinds of event add their own. Events are
// sobek dynamic objects backed by a small Go value: a flood of messages
// creates one per message, and this is several times cheaper than defining
// properties one by one. A Builder belongs to the goroutine of its runtime.
type Builder struct {
	rt     *sobek.Runtime
	target sobek.Value
	types  map[string]sobek.Value
}

// NewBuilder returns a Builder for events whose target is target.
func NewBuilder(rt *sobek.Runtime, target *sobek.Object) *Builder {
	return &Builder{rt: rt, target: target, types: make(map[string]sobek.Value, 6)}
}

// For returns a Builder for events whose target is target that shares b's
// runtime and its values of the type names: the event targets of one
// runtime need only one set of them.
func (b *Builder) For(target *sobek.Object) *Builder {
	return &Builder{rt: b.rt, target: target, types: b.types}
}

// Timestamp is t as a DOMHighResTimeStamp: milliseconds since the Unix epoch,
// with sub-millisecond precision.
func Timestamp(t time.Time) float64 {
	return float64(t.UnixNano()) / float64(time.Millisecond)
}

// Event returns an event of type typ that happened at at, with no other
// properties (open, ping and pong events).
func (b *Builder) Event(typ string, at time.Time) *sobek.Object {
	return b.object(b.base(typ, at, baseKeys))
}

// Message returns a message event carrying data (a string, an ArrayBuffer or
// a Blob) from origin.
func (b *Builder) Message(at time.Time, data sobek.Value, origin string) *sobek.Object {
	ev := b.base(events.Message, at, messageKeys)
	ev.data, ev.origin = data, origin
	return b.object(ev)
}

// Close returns a close event with the close code, the reason and whether
// the connection was closed cleanly.
func (b *Builder) Close(at time.Time, code int, reason string, wasClean bool) *sobek.Object {
	ev := b.base(events.Close, at, closeKeys)
	ev.code, ev.reason, ev.wasClean = code, reason, wasClean
	return b.object(ev)
}

// Error returns an error event whose error property is message.
func (b *Builder) Error(at time.Time, message string) *sobek.Object {
	ev := b.base(events.Error, at, errorKeys)
	ev.message = message
	return b.object(ev)
}

// HandshakeError returns the error event of a failed opening handshake: its
// error property is message, error_code the failure's k6 error code and
// status the HTTP status the server answered, 0 when none came.
func (b *Builder) HandshakeError(at time.Time, message string, errorCode, status int) *sobek.Object {
	ev := b.base(events.Error, at, handshakeErrorKeys)
	ev.message, ev.errorCode, ev.status = message, errorCode, status
	return b.object(ev)
}

func (b *Builder) base(typ string, at time.Time, keys []string) *event {
	name, ok := b.types[typ]
	if !ok {
		name = b.rt.ToValue(typ)
		b.types[typ] = name
	}
	return &event{b: b, keys: keys, typ: name, timestamp: Timestamp(at)}
}

func (b *Builder) object(ev *event) *sobek.Object { return b.rt.NewDynamicObject(ev) }

// The properties of each kind of event, in the order scripts enumerate them.
var (
	baseKeys    = []string{"type", "target", "timestamp"}
	messageKeys = []string{"type", "target", "timestamp", "data", "origin"}
	closeKeys   = []string{"type", "target", "timestamp", "code", "reason", "wasClean"}
	errorKeys   = []string{"type", "target", "timestamp", "error"}

	handshakeErrorKeys = []string{"type", "target", "timestamp", "error", "error_code", "status"}
)

// event is the Go side of an event object: sobek.DynamicObject with
// read-only properties.
type event struct {
	b         *Builder
	keys      []string
	typ       sobek.Value
	timestamp float64
	data      sobek.Value
	origin    string
	code      int
	reason    string
	wasClean  bool
	message   string
	errorCode int
	status    int
}

// Get returns the property key, or nil when the event has none.
func (ev *event) Get(key string) sobek.Value {
	if !ev.Has(key) {
		return nil
	}
	rt := ev.b.rt
	switch key {
	case "type":
		return ev.typ
	case "target":
		return ev.b.target
	case "timestamp":
		return rt.ToValue(ev.timestamp)
	case "data":
		return ev.data
	case "origin":
		return rt.ToValue(ev.origin)
	case "code":
		return rt.ToValue(ev.code)
	case "reason":
		return rt.ToValue(ev.reason)
	case "wasClean":
		return rt.ToValue(ev.wasClean)
	case "error":
		return rt.ToValue(ev.message)
	case "error_code":
		return rt.ToValue(ev.errorCode)
	case "status":
		return rt.ToValue(ev.status)
	}
	return nil
}

// Set refuses every change: event properties are read-only.
func (*event) Set(string, sobek.Value) bool { return false }

// Has tells whether the event has the property key.
func (ev *event) Has(key string) bool {
	for _, k := range ev.keys {
		if k == key {
			return true
		}
	}
	return false
}

// Delete refuses: event properties cannot be deleted.
func (*event) Delete(string) bool { return false }

// Keys lists the event's properties.
func (ev *event) Keys() []string { return ev.keys }
