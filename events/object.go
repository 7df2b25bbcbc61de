package events

import (
	"fmt"
	"time"

	"github.com/grafana/sobek"
)

// Builder makes the event objects that one event target (a WebSocket) hands
// to its listeners. Every object has the read-only, enumerable properties
// type, target and timestamp; the kinds of event add their own. A Builder
// belongs to the goroutine of its runtime.
type Builder struct {
	rt     *sobek.Runtime
	target sobek.Value
}

// NewBuilder returns a Builder for events whose target is target.
func NewBuilder(rt *sobek.Runtime, target *sobek.Object) *Builder {
	return &Builder{rt: rt, target: target}
}

// Timestamp is t as a DOMHighResTimeStamp: milliseconds since the Unix epoch,
// with sub-millisecond precision.
func Timestamp(t time.Time) float64 {
	return float64(t.UnixNano()) / float64(time.Millisecond)
}

// Event returns an event of type typ that happened at at, with no other
// properties (open, ping and pong events).
func (b *Builder) Event(typ string, at time.Time) (*sobek.Object, error) {
	obj := b.rt.NewObject()
	if err := b.base(obj, typ, at); err != nil {
		return nil, err
	}
	return obj, nil
}

// Message returns a message event carrying data (a string, an ArrayBuffer or
// a Blob) from origin.
func (b *Builder) Message(at time.Time, data sobek.Value, origin string) (*sobek.Object, error) {
	obj := b.rt.NewObject()
	if err := b.base(obj, Message, at); err != nil {
		return nil, err
	}
	if err := b.define(obj, Message, "data", data); err != nil {
		return nil, err
	}
	if err := b.define(obj, Message, "origin", b.rt.ToValue(origin)); err != nil {
		return nil, err
	}
	return obj, nil
}

// Close returns a close event with the close code, the reason and whether
// the connection was closed cleanly.
func (b *Builder) Close(at time.Time, code int, reason string, wasClean bool) (*sobek.Object, error) {
	obj := b.rt.NewObject()
	if err := b.base(obj, Close, at); err != nil {
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
	obj := b.rt.NewObject()
	if err := b.base(obj, Error, at); err != nil {
		return nil, err
	}
	if err := b.define(obj, Error, "error", b.rt.ToValue(message)); err != nil {
		return nil, err
	}
	return obj, nil
}

// base defines the properties that every event has.
func (b *Builder) base(obj *sobek.Object, typ string, at time.Time) error {
	if err := b.define(obj, typ, "type", b.rt.ToValue(typ)); err != nil {
		return err
	}
	if err := b.define(obj, typ, "target", b.target); err != nil {
		return err
	}
	return b.define(obj, typ, "timestamp", b.rt.ToValue(Timestamp(at)))
}

func (b *Builder) define(obj *sobek.Object, typ, name string, v sobek.Value) error {
	if err := obj.DefineDataProperty(name, v, sobek.FLAG_FALSE, sobek.FLAG_FALSE, sobek.FLAG_TRUE); err != nil {
		return fmt.Errorf("building the %s event's %s property: %w", typ, name, err)
	}
	return nil
}
