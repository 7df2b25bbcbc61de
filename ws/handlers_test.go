package ws

import (
	"context"
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
)

func TestHandlersOfEachEventRunInOrder(t *testing.T) {
	t.Parallel()
	var calls []string
	s := &socket{ctx: context.Background()}
	handler := func(name string) sobek.Callable {
		return func(sobek.Value, ...sobek.Value) (sobek.Value, error) {
			calls = append(calls, name)
			return sobek.Undefined(), nil
		}
	}
	s.handlers.add("open", handler("open1"))
	s.handlers.add("message", handler("message1"))
	s.handlers.add("open", handler("open2"))
	s.handlers.add("", handler("unnamed"))
	s.handlers.add("message", handler("message2"))
	s.handlers.add("open", func(sobek.Value, ...sobek.Value) (sobek.Value, error) {
		calls = append(calls, "open3")
		s.handlers.add("open", handler("added by open3"))
		return sobek.Undefined(), nil
	})

	for _, event := range []string{"open", "message", "", "close", "open"} {
		assert.NoError(t, s.emit(event))
	}
	assert.Equal(t, []string{
		"open1", "open2", "open3", "message1", "message2", "unnamed",
		"open1", "open2", "open3", "added by open3",
	}, calls, "a handler added while its event runs runs from the next one on")
	assert.True(t, s.handlers.has("open"))
	assert.True(t, s.handlers.has(""))
	assert.False(t, s.handlers.has("close"), "an event nobody listens to has no handlers")
}
