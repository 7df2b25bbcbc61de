package websockets

import (
	"slices"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/events"
)

// eventType indexes the events a WebSocket dispatches.
type eventType int

const (
	onOpen eventType = iota
	onMessage
	onError
	onClose
	onPing
	onPong
	eventTypes
)

// eventNames are the names of the event types, by index.
var eventNames = [eventTypes]string{
	events.Open, events.Message, events.Error, events.Close, events.Ping, events.Pong,
}

// eventTypeOf returns the event type called name.
func eventTypeOf(name string) (eventType, bool) {
	for i, n := range eventNames {
		if n == name {
			return eventType(i), true
		}
	}
	return 0, false
}

// listener is one function registered for an event type.
type listener struct {
	value sobek.Value // the function, as the script passed it
	fn    sobek.Callable
	// capture and once are addEventListener's options. A WebSocket has no
	// capture phase, but capture tells listeners apart, as in the DOM.
	capture bool
	once    bool
	removed bool // set when removed, so a dispatch in progress skips it
}

// same tells whether l is registered as value with capture, which the DOM
// counts as the same listener.
func (l *listener) same(value sobek.Value, capture bool) bool {
	return l.capture == capture && l.value.SameAs(value)
}

// listenerList holds the listeners of one event type in the order they were
// added. The on<type> handler is one of them, at the place it was first set,
// as in the DOM. The slice is replaced, never changed in place, so a dispatch
// can go through the list it started with.
type listenerList struct {
	entries []*listener
	handler *listener
}

// listeners are a socket's listeners, by event type.
type listeners [eventTypes]listenerList

// add registers l for t unless the same listener already is (the DOM
// ignores duplicates).
func (ls *listeners) add(t eventType, l listener) {
	list := &ls[t]
	for _, e := range list.entries {
		if e != list.handler && e.same(l.value, l.capture) {
			return
		}
	}
	list.entries = append(slices.Clip(list.entries), &l)
}

// remove unregisters value with capture for t; it does nothing when that
// listener is not there.
func (ls *listeners) remove(t eventType, value sobek.Value, capture bool) {
	l := &ls[t]
	for i, e := range l.entries {
		if e != l.handler && e.same(value, capture) {
			l.drop(i)
			return
		}
	}
}

// setHandler sets the on<type> handler; a nil fn removes it.
func (ls *listeners) setHandler(t eventType, value sobek.Value, fn sobek.Callable) {
	l := &ls[t]
	switch {
	case fn == nil && l.handler != nil:
		l.drop(slices.Index(l.entries, l.handler))
		l.handler = nil
	case fn == nil:
	case l.handler != nil:
		l.handler.value, l.handler.fn = value, fn
	default:
		l.handler = &listener{value: value, fn: fn}
		l.entries = append(slices.Clip(l.entries), l.handler)
	}
}

// handler returns the on<type> handler, or null.
func (ls *listeners) handler(t eventType) sobek.Value {
	if h := ls[t].handler; h != nil {
		return h.value
	}
	return sobek.Null()
}

// has tells whether anything listens to t.
func (ls *listeners) has(t eventType) bool { return len(ls[t].entries) > 0 }

// dispatch calls the listeners of t with ev, this being the target, and
// stops at the first that throws.
func (ls *listeners) dispatch(t eventType, this, ev sobek.Value) error {
	for _, e := range ls[t].entries {
		if e.removed {
			continue
		}
		if e.once {
			l := &ls[t]
			l.drop(slices.Index(l.entries, e))
		}
		if _, err := e.fn(this, ev); err != nil {
			return err
		}
	}
	return nil
}

func (l *listenerList) drop(i int) {
	l.entries[i].removed = true
	l.entries = slices.Delete(slices.Clone(l.entries), i, i+1)
}
