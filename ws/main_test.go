package ws_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/grafana/sobek"
	"github.com/stretchr/testify/require"
	k6metrics "go.k6.io/k6/metrics"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
	"github.com/loadkit/xk6-ws/ws"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// harness is a VU in the VU context with k6/ws as the global `ws`, and an
// echo server whose ws:// address is the global `WS`.
type harness struct {
	*wstest.VU
	srv *echoserver.Server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	vu := wstest.NewVU(t, ws.New(), "ws")
	h := &harness{VU: vu, srv: srv}
	h.set(t, "WS", srv.URL())
	h.set(t, "HTTP", srv.HTTPURL())
	vu.MoveToVU()
	return h
}

// set defines a global variable of the script.
func (h *harness) set(t *testing.T, name string, value any) {
	t.Helper()
	require.NoError(t, h.VU.VU.Runtime().Set(name, value))
}

// run runs js, which must not throw, and returns its completion value.
func (h *harness) run(t *testing.T, js string) sobek.Value {
	t.Helper()
	v, err := h.Run(js)
	require.NoError(t, err)
	return v
}

// runJSON runs js, whose completion value must be a JSON string, and
// returns it.
func (h *harness) runJSON(t *testing.T, js string) string {
	t.Helper()
	return h.run(t, js).String()
}

// tagsOf returns the tags of the samples of metric, which must agree.
func tagsOf(t *testing.T, samples []k6metrics.Sample, metric string) map[string]string {
	t.Helper()
	of := wstest.Of(samples, metric)
	require.NotEmpty(t, of, "no %s sample", metric)
	tags := of[0].Tags.Map()
	for _, s := range of[1:] {
		require.Equal(t, tags, s.Tags.Map(), "%s samples with different tags", metric)
	}
	return tags
}

// requireSession asserts the metrics of n whole sessions: one ws_sessions,
// ws_connecting and ws_session_duration each per session.
func requireSession(t *testing.T, samples []k6metrics.Sample, n int) {
	t.Helper()
	require.Equal(t, float64(n), wstest.Sum(samples, "ws_sessions"), "ws_sessions")
	require.Equal(t, n, wstest.Count(samples, "ws_connecting"), "ws_connecting samples")
	require.Equal(t, n, wstest.Count(samples, "ws_session_duration"), "ws_session_duration samples")
}

// closeFrame is a close frame a recordServer received.
type closeFrame struct {
	code   int
	reason string
}

// recordServer is a WebSocket server that reports the close frame each
// client sends, answers it with the same code, and ends the connection.
type recordServer struct {
	*httptest.Server
	frames chan closeFrame
}

func newRecordServer(t *testing.T) *recordServer {
	t.Helper()
	rs := &recordServer{frames: make(chan closeFrame, 16)}
	rs.Server = httptest.NewServer(http.HandlerFunc(rs.serve))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordServer) serve(w http.ResponseWriter, r *http.Request) {
	c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer func() { _ = c.Close() }()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				rs.frames <- closeFrame{code: ce.Code, reason: ce.Text}
			}
			return
		}
	}
}

// URL returns the server's ws:// address.
func (rs *recordServer) URL() string {
	return "ws" + strings.TrimPrefix(rs.Server.URL, "http")
}

// frame returns the next close frame the server received, failing the test
// when none comes within a bound.
func (rs *recordServer) frame(t *testing.T) closeFrame {
	t.Helper()
	select {
	case f := <-rs.frames:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("the server received no close frame")
		return closeFrame{}
	}
}

// jsonUnmarshal decodes the JSON text s into v.
func jsonUnmarshal(s string, v any) error {
	return json.Unmarshal([]byte(s), v)
}
