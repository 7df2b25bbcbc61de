package ws

import (
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
)

func TestHandlersKeepTheOrderOfEachEvent(t *testing.T) {
	t.Parallel()
	var calls []string
	handler := func(name string) sobek.Callable {
		return func(sobek.Value, ...sobek.Value) (sobek.Value, error) {
			calls = append(calls, name)
			return sobek.Undefined(), nil
		}
	}
	var h handlers
	h.add("open", handler("open1"))
	h.add("message", handler("message1"))
	h.add("open", handler("open2"))
	h.add("", handler("unnamed"))
	h.add("message", handler("message2"))

	for _, event := range []string{"open", "message", "", "close"} {
		for _, fn := range h.of(event) {
			_, _ = fn(sobek.Undefined())
		}
	}
	assert.Equal(t, []string{"open1", "open2", "message1", "message2", "unnamed"}, calls)
	assert.True(t, h.has("open"))
	assert.True(t, h.has(""))
	assert.False(t, h.has("close"), "an event nobody listens to has no handlers")
	assert.Nil(t, h.of("close"))
}
