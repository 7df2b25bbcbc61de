package ws

import "github.com/grafana/sobek"

// handlers are a socket's event handlers, in the order they were added. A
// socket has a handful at most, so one list, searched in order, costs less
// than a map of lists, to build and to read.
type handlers []handler

// handler is one handler and the event it handles.
type handler struct {
	event string
	fn    sobek.Callable
}

// handlersRoom is the room the list starts with: enough for a socket's
// usual open, message and close handlers.
const handlersRoom = 4

// add appends fn to the handlers of event.
func (h *handlers) add(event string, fn sobek.Callable) {
	if *h == nil {
		*h = make(handlers, 0, handlersRoom)
	}
	*h = append(*h, handler{event: event, fn: fn})
}

// has reports whether event has a handler.
func (h handlers) has(event string) bool {
	for i := range h {
		if h[i].event == event {
			return true
		}
	}
	return false
}
