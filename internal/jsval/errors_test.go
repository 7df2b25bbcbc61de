package jsval_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/jsval"
)

func TestErrorf(t *testing.T) {
	t.Parallel()
	err := jsval.Errorf(jsval.InvalidStateError, "send: the socket is %s: %w", "CLOSED", io.EOF)
	assert.Equal(t, "InvalidStateError: send: the socket is CLOSED: EOF", err.Error())
	assert.ErrorIs(t, err, io.EOF)
	var e *jsval.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, jsval.InvalidStateError, e.Name)
	assert.Equal(t, "send: the socket is CLOSED: EOF", e.Message)
}

// caught runs code that calls the Go function fail, and returns what the
// script's catch saw: name, message, toString, instanceof Error and the
// class of the error.
func caught(t *testing.T, fail func(rt *sobek.Runtime)) map[string]any {
	t.Helper()
	rt := sobek.New()
	require.NoError(t, rt.Set("fail", func() { fail(rt) }))
	v, err := rt.RunString(`(() => {
		try { fail(); } catch (e) {
			return {
				name: e.name, message: e.message, string: String(e), isError: e instanceof Error,
				isTypeError: e instanceof TypeError, isRangeError: e instanceof RangeError,
				ownName: Object.keys(e).indexOf("name") >= 0,
			};
		}
		return null;
	})()`)
	require.NoError(t, err)
	got, ok := v.Export().(map[string]any)
	require.True(t, ok, "nothing was thrown")
	return got
}

func TestThrownErrorsHaveTheirName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              jsval.ErrorName
		typeErr, rangeErr bool
	}{
		{jsval.SyntaxError, false, false},
		{jsval.InvalidStateError, false, false},
		{jsval.InvalidAccessError, false, false},
		{jsval.TypeError, true, false},
		{jsval.RangeError, false, true},
	} {
		t.Run(string(tc.name), func(t *testing.T) {
			t.Parallel()
			got := caught(t, func(rt *sobek.Runtime) { jsval.Throwf(rt, tc.name, "bad %s", "thing") })
			assert.Equal(t, map[string]any{
				"name": string(tc.name), "message": "bad thing", "string": string(tc.name) + ": bad thing",
				"isError": true, "isTypeError": tc.typeErr, "isRangeError": tc.rangeErr, "ownName": false,
			}, got)
		})
	}
}

func TestThrowKeepsTheWrappingContext(t *testing.T) {
	t.Parallel()
	got := caught(t, func(rt *sobek.Runtime) {
		jsval.Throw(rt, fmt.Errorf("invalid params argument: %w", jsval.Errorf(jsval.TypeError, "params.x must be a number")))
	})
	assert.Equal(t, "TypeError", got["name"])
	assert.Equal(t, "invalid params argument: params.x must be a number", got["message"])
}

func TestThrowOfOtherErrorsIsK6s(t *testing.T) {
	t.Parallel()
	got := caught(t, func(rt *sobek.Runtime) { jsval.Throw(rt, errors.New("plain")) })
	assert.Equal(t, "GoError", got["name"])
	assert.Equal(t, "plain", got["message"])
}
