package events

import (
	"fmt"
	"time"

	"github.com/grafana/sobek"
)

// Builder makes the event objects that one event target (a WebSocket) hands
// to its listeners. Every event has the read-only, enumerable properties
// type, target and timestamp; the kinds of event add their own. As in
// browsers, what every event of a kind shares (type, target and, for
// messages, origin) is inherited from a prototype made once per kind, so an
// event costs only its own properties: this is the hot path of a flood. A
// Builder belongs to the goroutine of its runtime.
type Builder struct {
	rt     *sobek.Runtime
	target sobek.Value
	origin string
	protos map[string]*sobek.Object
}

// NewBuilder returns a Builder for events whose target is target.
func NewBuilder(rt *sobek.Runtime, target *sobek.Object) *Builder {
	return &Builder{rt: rt, target: target, protos: make(map[string]*sobek.Object, 4)}
}

// Timestamp is t as a DOMHighResTimeStamp: milliseconds since the Unix epoch,
// with sub-millisecond precision.
func Timestamp(t time.Time) float64 {
	return float64(t.UnixNano()) / float64(time.Millisecond)
}

// Event returns an event of type typ that happened at at, with no other
// properties (open, ping and pong events).
func (b *Builder) Event(typ string, at time.Time) (*sobek.Object, error) {
	return b.instance(typ, at)
}

// Message returns a message event carrying data (a string, an ArrayBuffer or
// a Blob) from origin.
func (b *Builder) Message(at time.Time, data sobek.Value, origin string) (*sobek.Object, error) {
	if origin != b.origin {
		b.origin = origin
		delete(b.protos, Message)
	}
	obj, err := b.instance(Message, at)
	if err != nil {
		return nil, err
	}
	if err := b.define(obj, Message, "data", data); err != nil {
		return nil, err
	}
	return obj, nil
}

// Close returns a close event with the close code, the reason and whether
// the connection was closed cleanly.
func (b *Builder) Close(at time.Time, code int, reason string, wasClean bool) (*sobek.Object, error) {
	obj, err := b.instance(Close, at)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name  string
		value any
	}{{"code", code}, {"reason", reason}, {"wasClean", wasClean}} {
		if err := b.define(obj, Close, p.name, b.rt.ToValue(p.value)); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// Error returns an error event whose error property is message.
func (b *Builder) Error(at time.Time, message string) (*sobek.Object, error) {
	obj, err := b.instance(Error, at)
	if err != nil {
		return nil, err
	}
	if err := b.define(obj, Error, "error", b.rt.ToValue(message)); err != nil {
		return nil, err
	}
	return obj, nil
}

// instance returns a new event of type typ, with its own timestamp, whose
// prototype carries type and target (and origin for messages).
func (b *Builder) instance(typ string, at time.Time) (*sobek.Object, error) {
	proto, err := b.proto(typ)
	if err != nil {
		return nil, err
	}
	obj := b.rt.CreateObject(proto)
	if err := b.define(obj, typ, "timestamp", b.rt.ToValue(Timestamp(at))); err != nil {
		return nil, err
	}
	return obj, nil
}

func (b *Builder) proto(typ string) (*sobek.Object, error) {
	if proto, ok := b.protos[typ]; ok {
		return proto, nil
	}
	proto := b.rt.NewObject()
	if err := b.define(proto, typ, "type", b.rt.ToValue(typ)); err != nil {
		return nil, err
	}
	if err := b.define(proto, typ, "target", b.target); err != nil {
		return nil, err
	}
	if typ == Message {
		if err := b.define(proto, typ, "origin", b.rt.ToValue(b.origin)); err != nil {
			return nil, err
		}
	}
	b.protos[typ] = proto
	return proto, nil
}

func (b *Builder) define(obj *sobek.Object, typ, name string, v sobek.Value) error {
	if err := obj.DefineDataProperty(name, v, sobek.FLAG_FALSE, sobek.FLAG_FALSE, sobek.FLAG_TRUE); err != nil {
		return fmt.Errorf("building the %s event's %s property: %w", typ, name, err)
	}
	return nil
}
