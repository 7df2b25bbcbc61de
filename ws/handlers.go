package ws

import "github.com/grafana/sobek"

// handlers are a socket's event handlers, by event name, each list in the
// order the handlers were added. A socket has a handful of events at most,
// so a list searched in order costs less than a map, to build and to read.
type handlers []eventHandlers

// eventHandlers are the handlers of one event.
type eventHandlers struct {
	event string
	fns   []sobek.Callable
}

// add appends fn to the handlers of event.
func (h *handlers) add(event string, fn sobek.Callable) {
	for i := range *h {
		if (*h)[i].event == event {
			(*h)[i].fns = append((*h)[i].fns, fn)
			return
		}
	}
	*h = append(*h, eventHandlers{event: event, fns: []sobek.Callable{fn}})
}

// of returns the handlers of event, in the order they were added.
func (h handlers) of(event string) []sobek.Callable {
	for i := range h {
		if h[i].event == event {
			return h[i].fns
		}
	}
	return nil
}

// has reports whether event has a handler.
func (h handlers) has(event string) bool { return len(h.of(event)) > 0 }
