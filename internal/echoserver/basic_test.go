package echoserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

func TestEchoKeepsMessageTypes(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/echo")

	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("hello")))
	assert.Equal(t, "hello", string(readMessage(t, conn, websocket.TextMessage)))
	binaryMsg := []byte{0, 1, 2, 0xff}
	require.NoError(t, conn.WriteMessage(websocket.BinaryMessage, binaryMsg))
	assert.Equal(t, binaryMsg, readMessage(t, conn, websocket.BinaryMessage))
	big := bytes.Repeat([]byte{7}, 3<<20)
	require.NoError(t, conn.WriteMessage(websocket.BinaryMessage, big))
	assert.Equal(t, big, readMessage(t, conn, websocket.BinaryMessage))

	st := srv.Stats()
	assert.Equal(t, int64(1), st.Connections)
	assert.Equal(t, int64(1), st.OpenConnections)
	assert.Equal(t, int64(3), st.MessagesReceived)
	assert.Equal(t, int64(3), st.MessagesSent)
	wantBytes := int64(5 + len(binaryMsg) + len(big))
	assert.Equal(t, wantBytes, st.BytesReceived)
	assert.Equal(t, wantBytes, st.BytesSent)
}

func TestEchoAnswersCloseWithSameCode(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/echo")

	msg := websocket.FormatCloseMessage(4001, "bye")
	require.NoError(t, conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(timeout)))
	_, _, err := conn.ReadMessage()
	assert.Equal(t, 4001, closeErrorOf(t, err).Code)
}

func TestPushSendsCountMessagesOfSize(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?count=5&size=100&binary=true")

	for range 5 {
		assert.Equal(t, pattern(100), readMessage(t, conn, websocket.BinaryMessage))
	}
	// After the fifth message the next frame must be the answer to our close.
	require.NoError(t, conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(timeout)))
	_, _, err := conn.ReadMessage()
	assert.Equal(t, websocket.CloseNormalClosure, closeErrorOf(t, err).Code)
	assert.Equal(t, int64(5), srv.Stats().MessagesSent)
}

func TestPushDefaultsToSixteenByteText(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?count=1")
	assert.Equal(t, pattern(16), readMessage(t, conn, websocket.TextMessage))
}

func TestPushWaitsIntervalBetweenMessages(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?count=3&interval=50ms")

	readMessage(t, conn, websocket.TextMessage)
	first := time.Now()
	readMessage(t, conn, websocket.TextMessage)
	readMessage(t, conn, websocket.TextMessage)
	// Two intervals separate the first and the third message; the ticker
	// may fire a little early relative to the first send, never by half.
	assert.Greater(t, time.Since(first), 75*time.Millisecond)
}

func TestPushFloodStopsWhenClientCloses(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?size=8")

	for range 1000 {
		readMessage(t, conn, websocket.TextMessage)
	}
	require.NoError(t, conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(timeout)))
	err := readUntilError(t, conn, 10_000_000)
	assert.Equal(t, websocket.CloseGoingAway, closeErrorOf(t, err).Code)
	// The server counts its flood and ends the connection by itself.
	require.Eventually(t, func() bool { return srv.Stats().OpenConnections == 0 }, timeout, time.Millisecond)
	assert.GreaterOrEqual(t, srv.Stats().MessagesSent, int64(1000))
}

func TestPushCountsClientMessages(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/push?count=1")
	readMessage(t, conn, websocket.TextMessage)

	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("abc")))
	require.NoError(t, conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(timeout)))
	_, _, err := conn.ReadMessage()
	_ = closeErrorOf(t, err)
	st := srv.Stats()
	assert.Equal(t, int64(1), st.MessagesReceived)
	assert.Equal(t, int64(3), st.BytesReceived)
}

func TestCloseRouteSendsCodeAndReason(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/close?code=4321&reason=go+away")

	_, _, err := conn.ReadMessage()
	ce := closeErrorOf(t, err)
	assert.Equal(t, 4321, ce.Code)
	assert.Equal(t, "go away", ce.Text)
}

func TestCloseRouteEchoesAfterMessagesFirst(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/close?after=2")

	roundTrip(t, conn, "one")
	roundTrip(t, conn, "two")
	_, _, err := conn.ReadMessage()
	assert.Equal(t, websocket.CloseNormalClosure, closeErrorOf(t, err).Code)
}

func TestCloseRouteDropsTCPWhenClientNeverAnswers(t *testing.T) {
	t.Parallel()
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/close?code=1001")
	conn.SetCloseHandler(func(int, string) error { return nil })

	_, _, err := conn.ReadMessage()
	assert.Equal(t, websocket.CloseGoingAway, closeErrorOf(t, err).Code)
	// Without our answer the server closes TCP after about 2s.
	start := time.Now()
	_, err = conn.NetConn().Read(make([]byte, 1))
	require.Error(t, err)
	assert.Greater(t, time.Since(start), time.Second)
}

func TestStatusRefusesUpgrade(t *testing.T) {
	srv := startServer(t, echoserver.Options{})

	_, hs, err := dialWith(t, &websocket.Dialer{}, srv, "/status?code=418&body=no+thanks", nil)
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	assert.Equal(t, 418, hs.status)
	assert.Equal(t, "true", hs.header.Get("X-Refused"))
	assert.Equal(t, "text/plain", hs.header.Get("Content-Type"))
	assert.Equal(t, "no thanks", hs.body)

	code, header, body := httpGet(t, srv, "/status")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, "true", header.Get("X-Refused"))
	assert.Equal(t, "refused", body)
}

func TestHeadersReportsRequest(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	header := http.Header{
		"Cookie":                 {"a=1; b=two"},
		"X-Multi":                {"v1", "v2"},
		"Sec-Websocket-Protocol": {"chat, json"},
	}
	d := &websocket.Dialer{EnableCompression: true}
	conn, hs, err := dialWith(t, d, srv, "/headers?set-cookie=sid=xyz", header)
	require.NoError(t, err)
	assert.Equal(t, "sid=xyz", hs.header.Get("Set-Cookie"))

	var report struct {
		Headers     map[string]string `json:"headers"`
		Cookies     map[string]string `json:"cookies"`
		Subprotocol string            `json:"subprotocol"`
		Extensions  string            `json:"extensions"`
	}
	require.NoError(t, json.Unmarshal(readMessage(t, conn, websocket.TextMessage), &report))
	assert.Equal(t, "v1, v2", report.Headers["X-Multi"])
	assert.Equal(t, map[string]string{"a": "1", "b": "two"}, report.Cookies)
	assert.Equal(t, "chat", report.Subprotocol)
	assert.Contains(t, report.Extensions, "permessage-deflate")
	assert.Equal(t, strings.TrimPrefix(srv.URL(), "ws://"), report.Headers["Host"])
	roundTrip(t, conn, "then echoes")
}

func TestPingSendsPayloadAndCountsPongs(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/ping?count=3&payload=hey")

	pings := make(chan string, 3)
	conn.SetPingHandler(func(data string) error {
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(timeout))
		pings <- data
		return err
	})
	data := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				done <- err
				return
			}
			data <- string(msg)
		}
	}()
	for range 3 {
		select {
		case p := <-pings:
			assert.Equal(t, "hey", p)
		case <-time.After(timeout):
			t.Fatal("no ping")
		}
	}
	// Our pongs precede this message, so its echo proves they were counted.
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("sync")))
	assert.Equal(t, "sync", <-data)
	st := srv.Stats()
	assert.Equal(t, int64(3), st.PingsSent)
	assert.Equal(t, int64(3), st.PongsReceived)
	require.NoError(t, conn.Close())
	require.Error(t, <-done)
}

func TestPongSendsUnsolicitedPongs(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	conn := dial(t, srv, "/pong?count=2")

	var pongs []string
	conn.SetPongHandler(func(data string) error {
		pongs = append(pongs, data)
		return nil
	})
	roundTrip(t, conn, "x")
	assert.Equal(t, []string{"srv-pong", "srv-pong"}, pongs)
}

func TestSubprotocolSelection(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		offered []string
		want    string
	}{
		{"first offered", "", []string{"b", "a"}, "b"},
		{"none offered", "", nil, ""},
		{"first offered in list", "?protocols=a,c", []string{"b", "a", "c"}, "a"},
		{"none in list", "?protocols=c", []string{"a", "b"}, ""},
		{"empty list allows none", "?protocols=", []string{"a"}, ""},
	}
	srv := startServer(t, echoserver.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &websocket.Dialer{Subprotocols: tt.offered}
			conn, _, err := dialWith(t, d, srv, "/echo"+tt.query, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, conn.Subprotocol())
		})
	}
}

func TestCompressionNegotiatedOnlyWhenAsked(t *testing.T) {
	srv := startServer(t, echoserver.Options{})

	conn, hs, err := dialWith(t, &websocket.Dialer{EnableCompression: true}, srv, "/echo", nil)
	require.NoError(t, err)
	assert.Contains(t, hs.header.Get("Sec-Websocket-Extensions"), "permessage-deflate")
	conn.EnableWriteCompression(true)
	text := strings.Repeat("compress me ", 1000)
	roundTrip(t, conn, text)

	_, hs, err = dialWith(t, &websocket.Dialer{}, srv, "/echo", nil)
	require.NoError(t, err)
	assert.Empty(t, hs.header.Get("Sec-Websocket-Extensions"))
}

func TestBadRequestsAreAnsweredWithText(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	tests := []struct {
		path     string
		status   int
		contains string
	}{
		{"/echo", http.StatusUpgradeRequired, "WebSocket route"},
		{"/push?count=abc", http.StatusBadRequest, `"count"`},
		{"/push?size=-1", http.StatusBadRequest, `"size"`},
		{"/push?interval=fast", http.StatusBadRequest, `"interval"`},
		{"/push?binary=maybe", http.StatusBadRequest, `"binary"`},
		{"/push?colour=red", http.StatusBadRequest, `"colour"`},
		{"/push?count=1&count=2", http.StatusBadRequest, `"count"`},
		{"/close?code=1005", http.StatusBadRequest, `"code"`},
		{"/close?reason=" + strings.Repeat("x", 124), http.StatusBadRequest, `"reason"`},
		{"/status?code=101", http.StatusBadRequest, `"code"`},
		{"/headers?set-cookie=novalue", http.StatusBadRequest, `"set-cookie"`},
		{"/ping?count=0", http.StatusBadRequest, `"count"`},
		{"/chat?room=", http.StatusBadRequest, `"room"`},
		{"/drop?mode=slow", http.StatusBadRequest, `"mode"`},
		{"/fragmented?parts=0", http.StatusBadRequest, `"parts"`},
		{"/deflate-bomb?size=-1", http.StatusBadRequest, `"size"`},
		{"/echo?protocols=a,,b", http.StatusBadRequest, `"protocols"`},
		{"/nowhere", http.StatusNotFound, "/nowhere"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, _, body := httpGet(t, srv, tt.path)
			assert.Equal(t, tt.status, code)
			assert.Contains(t, body, tt.contains)
		})
	}
}

func TestBadQueryRefusesUpgrade(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	_, hs, err := dialWith(t, &websocket.Dialer{}, srv, "/push?size=huge", nil)
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	assert.Equal(t, http.StatusBadRequest, hs.status)
	assert.Contains(t, hs.body, `"size"`)
}

func TestRootServesHelp(t *testing.T) {
	srv := startServer(t, echoserver.Options{})
	code, header, body := httpGet(t, srv, "/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, header.Get("Content-Type"), "text/plain")
	assert.Equal(t, "xk6-ws echo server\n\n"+echoserver.HelpText(), body)
	for _, route := range []string{"/echo", "/push?count=", "/chat?room=", "/slowread", "/deflate-bomb?size=", "protocols=a,b"} {
		assert.Contains(t, body, route)
	}
}
