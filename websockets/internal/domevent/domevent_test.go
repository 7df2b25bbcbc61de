package domevent_test

import (
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/events"
	"github.com/loadkit/xk6-ws/websockets/internal/domevent"
)

// inspect runs code with ev and target as globals and returns its result.
func inspect(t *testing.T, rt *sobek.Runtime, ev, target *sobek.Object, code string) any {
	t.Helper()
	require.NoError(t, rt.Set("ev", ev))
	require.NoError(t, rt.Set("target", target))
	v, err := rt.RunString(code)
	require.NoError(t, err)
	return v.Export()
}

func TestTimestampIsFractionalMilliseconds(t *testing.T) {
	t.Parallel()
	at := time.Unix(1700000000, 123456789)
	assert.InDelta(t, 1700000000123.456789, domevent.Timestamp(at), 1e-3)
}

func TestEventHasTypeTargetTimestamp(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	target := rt.NewObject()
	at := time.Unix(1700000000, 500_000)
	ev := domevent.NewBuilder(rt, target).Event(events.Open, at)
	assert.Equal(t, []any{"open", true, 1700000000000.5, []any{"type", "target", "timestamp"}},
		inspect(t, rt, ev, target, `const keys = []; for (const k in ev) keys.push(k);
			[ev.type, ev.target === target, ev.timestamp, keys]`))
}

func TestEventsAreReadOnlyGoBackedObjects(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	target := rt.NewObject()
	b := domevent.NewBuilder(rt, target)
	first := b.Message(time.Now(), rt.ToValue("a"), "ws://h/p")
	second := b.Message(time.Now(), rt.ToValue("b"), "ws://h/p")
	require.NoError(t, rt.Set("second", second))
	assert.Equal(t, []any{"a", "b", []any{"type", "target", "timestamp", "data", "origin"}, false, false, "message"},
		inspect(t, rt, first, target, `[ev.data, second.data, Object.keys(ev), "code" in ev, ev.hasOwnProperty("code"),
			(function() { ev.type = "changed"; return ev.type; })()]`))
}

func TestEventPropertiesAreReadOnly(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	target := rt.NewObject()
	ev := domevent.NewBuilder(rt, target).Close(time.Now(), 4001, "bye", true)
	assert.Equal(t, []any{"close", int64(4001), "bye", true}, inspect(t, rt, ev, target, `
		"use strict";
		const failed = [];
		for (const k of ["type", "code", "reason", "wasClean", "target", "timestamp"]) {
			try { ev[k] = 1; failed.push(k); } catch (e) { /* read-only, as expected */ }
			try { delete ev[k]; failed.push("delete " + k); } catch (e) { /* not configurable */ }
		}
		if (failed.length) { throw new Error("writable: " + failed); }
		[ev.type, ev.code, ev.reason, ev.wasClean];
	`))
}

func TestMessageEvent(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	target := rt.NewObject()
	data := rt.NewArrayBuffer([]byte{1, 2})
	ev := domevent.NewBuilder(rt, target).Message(time.Now(), rt.ToValue(data), "ws://h/p")
	assert.Equal(t, []any{"message", "ws://h/p", true, int64(2)}, inspect(t, rt, ev, target,
		`[ev.type, ev.origin, ev.data instanceof ArrayBuffer, ev.data.byteLength]`))
}

func TestErrorEvent(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	target := rt.NewObject()
	ev := domevent.NewBuilder(rt, target).Error(time.Now(), "connection reset")
	assert.Equal(t, []any{"error", "connection reset"}, inspect(t, rt, ev, target, `[ev.type, ev.error]`))
}

func TestForMakesEventsOfAnotherTarget(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	first, second := rt.NewObject(), rt.NewObject()
	b := domevent.NewBuilder(rt, first)
	other := b.For(second)
	a, c := b.Event(events.Open, time.Now()), other.Event(events.Open, time.Now())
	require.NoError(t, rt.Set("other", c))
	require.NoError(t, rt.Set("first", first))
	assert.Equal(t, []any{true, true, "open"}, inspect(t, rt, a, second,
		`[ev.target === first, other.target === target, other.type]`))
}
