package conn_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/loadkit/xk6-ws/internal/conn"
)

func TestCloseErrorSpellsTheCodeOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  conn.CloseError
		want string
	}{
		{conn.CloseError{Code: conn.CloseNormal}, "websocket: close 1000 (normal)"},
		{conn.CloseError{Code: 1011, Reason: "oops"}, "websocket: close 1011 (internal server error): oops"},
		{conn.CloseError{Code: 4001, Reason: "bye"}, "websocket: close 4001: bye"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.err.Error())
		})
	}
}

func TestCloseStatusFindsTheCloseErrorInTheChain(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("sending: %w", &conn.CloseError{Code: 4001})
	assert.Equal(t, conn.StatusCode(4001), conn.CloseStatus(wrapped))
	assert.Equal(t, conn.StatusCode(-1), conn.CloseStatus(errors.New("other")))
	assert.Equal(t, conn.StatusCode(-1), conn.CloseStatus(nil))
}

func TestDataStringIsTheData(t *testing.T) {
	for _, data := range [][]byte{nil, {}, []byte("héllo")} {
		ev := conn.Event{Kind: conn.Text, Data: data}
		assert.Equal(t, string(data), ev.DataString())
	}
}
