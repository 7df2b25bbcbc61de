package ws_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	httpmodule "go.k6.io/k6/js/modules/k6/http"
	k6metrics "go.k6.io/k6/metrics"
	"gopkg.in/guregu/null.v3"

	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
	"github.com/loadkit/xk6-ws/ws"
)

func TestConnectInInitContextThrows(t *testing.T) {
	t.Parallel()
	vu := wstest.NewVU(t, ws.New(), "ws")
	_, err := vu.Run(`ws.connect("ws://127.0.0.1:1/", function() {})`)
	require.ErrorContains(t, err, "using websockets in the init context is not supported")
	assert.Empty(t, vu.Collected())
}

func TestConnectArgumentErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct{ name, call, want string }{
		{"no arguments", `ws.connect()`, "ws.connect expects (url, callback) or (url, params, callback), got 0"},
		{"url only", `ws.connect(WS + "/echo")`, "got 1 arguments"},
		{"too many", `ws.connect(WS + "/echo", {}, function() {}, 1)`, "got 4 arguments"},
		{"callback not a function", `ws.connect(WS + "/echo", {}, 42)`,
			"ws.connect: the last argument (callback) must be a function, got number 42"},
		{"params but no callback", `ws.connect(WS + "/echo", {})`,
			"the last argument (callback) must be a function, got Object"},
		{"null url", `ws.connect(null, function() {})`, "ws.connect: url must be a ws:// or wss:// URL string, got null"},
		{"params not an object", `ws.connect(WS + "/echo", "x", function() {})`,
			`ws.connect: params must be an object, got string "x"`},
		{"bad handshakeTimeout", `ws.connect(WS + "/echo", {handshakeTimeout: -1}, function() {})`,
			"params.handshakeTimeout must be greater than zero"},
		{"bad compression", `ws.connect(WS + "/echo", {compression: "gzip"}, function() {})`,
			"unsupported compression algorithm 'gzip', supported algorithm is 'deflate'"},
		{"bad subprotocols", `ws.connect(WS + "/echo", {subprotocols: [1]}, function() {})`,
			"params.subprotocols[0] must be a string, got number 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { // not parallel: the cases share one VU
			_, err := h.Run(tc.call)
			require.ErrorContains(t, err, tc.want)
		})
	}
	assert.Empty(t, wstest.Of(h.Collected(), "ws_sessions"), "a call with bad arguments must not dial")
}

func TestConnectIgnoresUnknownParams(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var res = ws.connect(WS + "/echo", {nonsense: 1, timeout: "1s"}, function(socket) { socket.close(); });
		JSON.stringify(res.status)`)
	assert.Equal(t, "101", got)
}

func TestConnectResponseAndSessionMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var res = ws.connect(WS + "/echo", function(socket) { socket.close(); });
		JSON.stringify({keys: Object.keys(res), url: res.url, status: res.status, body: res.body,
			error: res.error, upgrade: res.headers["Upgrade"], connection: res.headers["Connection"]})`)
	assert.JSONEq(t, `{"keys": ["url", "status", "headers", "body", "error", "error_code"], "url": "`+h.srv.URL()+`/echo",
		"status": 101, "body": "", "error": "", "upgrade": "websocket", "connection": "Upgrade"}`, got)

	samples := h.Collected()
	requireSession(t, samples, 1)
	for _, metric := range []string{"ws_sessions", "ws_connecting", "ws_session_duration"} {
		tags := tagsOf(t, samples, metric)
		assert.Equal(t, h.srv.URL()+"/echo", tags["url"], metric)
		assert.Equal(t, "101", tags["status"], metric)
		assert.Contains(t, tags, "subproto", metric)
		assert.Empty(t, tags["subproto"], metric)
		assert.NotContains(t, tags, "ip", "ip is not a default system tag")
	}
}

func TestConnectSubprotocolsHeadersAndTags(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.State.Tags.Modify(func(tm *k6metrics.TagsAndMeta) {
		tm.SetSystemTagOrMeta(k6metrics.TagGroup, "::login")
	})
	got := h.runJSON(t, `
		var report, res;
		res = ws.connect(WS + "/headers", {
			subprotocols: ["chat.v2", "chat.v1"],
			headers: {"X-Trace": "abc", "X-Count": 3},
			tags: {team: "blue"},
		}, function(socket) {
			socket.on("message", function(data) { report = JSON.parse(data); socket.close(); });
		});
		JSON.stringify({proto: res.headers["Sec-Websocket-Protocol"], chosen: report.subprotocol,
			offered: report.headers["Sec-Websocket-Protocol"], trace: report.headers["X-Trace"],
			count: report.headers["X-Count"], ua: report.headers["User-Agent"]})`)
	assert.JSONEq(t, `{"proto": "chat.v2", "chosen": "chat.v2", "offered": "chat.v2, chat.v1",
		"trace": "abc", "count": "3", "ua": "xk6-ws-test"}`, got)

	samples := h.Collected()
	requireSession(t, samples, 1)
	for _, metric := range []string{"ws_sessions", "ws_connecting", "ws_session_duration", "ws_msgs_received"} {
		tags := tagsOf(t, samples, metric)
		assert.Equal(t, "chat.v2", tags["subproto"], metric)
		assert.Equal(t, "blue", tags["team"], metric)
		assert.Equal(t, "::login", tags["group"], metric)
		assert.Equal(t, h.srv.URL()+"/headers", tags["url"], metric)
	}
}

func TestConnectIPTag(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.State.Options.SystemTags = k6metrics.NewSystemTagSet(k6metrics.TagIP, k6metrics.TagURL, k6metrics.TagStatus)
	h.run(t, `ws.connect(WS + "/echo", function(socket) { socket.close(); });`)
	samples := h.Collected()
	requireSession(t, samples, 1)
	tags := tagsOf(t, samples, "ws_session_duration")
	assert.Equal(t, "127.0.0.1", tags["ip"])
	assert.Equal(t, "101", tags["status"])
	assert.NotContains(t, tags, "subproto", "subproto is not enabled")
}

// Stock k6 dereferences a nil connection here when the ip tag is enabled.
func TestFailedDialWithIPTagDoesNotCrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.State.Options.SystemTags = k6metrics.NewSystemTagSet(k6metrics.TagIP, k6metrics.TagURL, k6metrics.TagStatus)
	h.set(t, "CLOSED", closedPortURL(t))
	got := h.runJSON(t, `
		var refused = ws.connect(WS + "/status?code=403", function() {});
		var unreachable = ws.connect(CLOSED, function() {});
		JSON.stringify([refused.status, unreachable.status, unreachable.error.length > 0])`)
	assert.Equal(t, `[403,0,true]`, got)
	samples := h.Collected()
	requireSession(t, samples, 2)
	for _, s := range samples {
		assert.NotContains(t, s.Tags.Map(), "ip", "no ip is known for %s", s.Metric.Name)
	}
}

func TestRefusedHandshake(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var called = false;
		var res = ws.connect(WS + "/status?code=403&body=go%20away", function() { called = true; });
		JSON.stringify({called: called, status: res.status, body: res.body, refused: res.headers["X-Refused"],
			url: res.url, error: res.error})`)
	var res struct {
		Called  bool
		Status  int
		Body    string
		Refused string
		URL     string
		Error   string
	}
	require.NoError(t, json.Unmarshal([]byte(got), &res))
	assert.False(t, res.Called, "the callback runs only for an open socket")
	assert.Equal(t, 403, res.Status)
	assert.Equal(t, "go away", res.Body)
	assert.Equal(t, "true", res.Refused)
	assert.Equal(t, h.srv.URL()+"/status?code=403&body=go%20away", res.URL)
	assert.Contains(t, res.Error, "403")

	samples := h.Collected()
	requireSession(t, samples, 1)
	assert.Equal(t, "403", tagsOf(t, samples, "ws_connecting")["status"])
	assert.Equal(t, "403", tagsOf(t, samples, "ws_session_duration")["status"])
}

func TestFailedDialThrowsWithThrowOption(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.State.Options.Throw = null.BoolFrom(true)
	_, err := h.Run(`ws.connect(WS + "/status?code=401", function() {})`)
	require.ErrorContains(t, err, "ws.connect: websocket: bad handshake")
	require.ErrorContains(t, err, "401")
	_, err = h.Run(`ws.connect("INVALID", function() {})`)
	require.ErrorContains(t, err, "ws.connect: ")
	requireSession(t, h.Collected(), 2)
}

func TestInvalidURLGivesResponseError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var res = ws.connect("INVALID", function(socket) { socket.send("x"); });
		JSON.stringify([res.status, res.error])`)
	assert.Equal(t, `[0,"malformed ws or wss URL"]`, got)
	requireSession(t, h.Collected(), 1)
}

func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	start := time.Now()
	got := h.runJSON(t, `
		var res = ws.connect(WS + "/hang", {handshakeTimeout: "300ms"}, function() {});
		JSON.stringify([res.status, res.error])`)
	elapsed := time.Since(start)
	var res []any
	require.NoError(t, json.Unmarshal([]byte(got), &res))
	assert.InDelta(t, 0, res[0], 0)
	assert.Contains(t, res[1], "timed out after 300ms (handshakeTimeout)")
	assert.GreaterOrEqual(t, elapsed, 300*time.Millisecond)

	samples := h.Collected()
	requireSession(t, samples, 1)
	tags := tagsOf(t, samples, "ws_session_duration")
	assert.Equal(t, "0", tags["status"], "no response: status 0, as k6 tags a failed request")
	// k6's request timeout, or its dial timeout on a machine so busy that
	// dialling took the 300ms (errcode's tests tell the two apart).
	assert.Contains(t, []string{"1050", "1211"}, tags["error_code"], "a timeout's error code")
	connecting := wstest.Of(samples, "ws_connecting")[0].Value
	assert.GreaterOrEqual(t, connecting, 300.0, "ws_connecting is the time spent on the handshake, in ms")
}

func TestCookies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	h.State.CookieJar = jar
	h.set(t, "http", httpmodule.New().NewModuleInstance(h.VU.VU).Exports().Default)
	got := h.runJSON(t, `
		function cookies(params) {
			var report;
			ws.connect(WS + "/headers?set-cookie=session=s1", params, function(socket) {
				socket.on("message", function(data) { report = JSON.parse(data); socket.close(); });
			});
			return report.cookies;
		}
		http.cookieJar().set(HTTP + "/headers", "vu", "default-jar");
		var own = new http.CookieJar();
		own.set(HTTP + "/headers", "mine", "own-jar");
		var first = cookies({});
		var second = cookies({});
		var withOwn = cookies({jar: own});
		JSON.stringify({first: first, second: second, withOwn: withOwn,
			stored: own.cookiesForURL(HTTP + "/headers").session})`)
	assert.JSONEq(t, `{
		"first": {"vu": "default-jar"},
		"second": {"vu": "default-jar", "session": "s1"},
		"withOwn": {"mine": "own-jar"},
		"stored": ["s1"]}`, got)
}

func TestCompressionNegotiated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `
		var report, echoed;
		var res = ws.connect(WS + "/headers", {compression: "deflate"}, function(socket) {
			socket.on("message", function(data) {
				if (!report) { report = JSON.parse(data); socket.send("squeeze me ".repeat(50)); return; }
				echoed = data;
				socket.close();
			});
		});
		JSON.stringify({asked: report.extensions, answered: res.headers["Sec-Websocket-Extensions"],
			echoed: echoed === "squeeze me ".repeat(50)})`)
	var res struct {
		Asked, Answered string
		Echoed          bool
	}
	require.NoError(t, json.Unmarshal([]byte(got), &res))
	assert.Contains(t, res.Asked, "permessage-deflate")
	assert.Contains(t, res.Answered, "permessage-deflate")
	assert.True(t, res.Echoed, "a compressed message makes the round trip")

	got = h.runJSON(t, `
		var plain;
		ws.connect(WS + "/headers", function(socket) {
			socket.on("message", function(data) { plain = JSON.parse(data); socket.close(); });
		});
		JSON.stringify(plain.extensions)`)
	assert.JSONEq(t, `""`, got, "no compression unless asked")
}

func TestSecureWebSocket(t *testing.T) {
	t.Parallel()
	srv, err := echoserver.Start(echoserver.Options{TLS: &echoserver.TLSOptions{}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	h := newHarness(t)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(srv.CACertPEM()))
	h.State.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	h.set(t, "WSS", srv.URL())
	got := h.runJSON(t, `
		var echoed;
		var res = ws.connect(WSS + "/echo", function(socket) {
			socket.on("open", function() { socket.send("over tls"); });
			socket.on("message", function(data) { echoed = data; socket.close(); });
		});
		JSON.stringify([res.status, echoed])`)
	assert.Equal(t, `[101,"over tls"]`, got)
	assert.Equal(t, srv.URL()+"/echo", tagsOf(t, h.Collected(), "ws_sessions")["url"])
}

// closedPortURL returns a ws:// URL on 127.0.0.1 where nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "ws://" + addr + "/"
}

// TestInterruptionInAHandlerEndsTheScript interrupts the runtime, as k6
// does at the end of a test, from a handler: the interruption ends
// ws.connect and the script, and no catch around ws.connect stops it.
func TestInterruptionInAHandlerEndsTheScript(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.set(t, "interrupt", func() { h.VU.VU.Runtime().Interrupt("stop") })
	_, err := h.Run(`
		var caught = false;
		try {
			ws.connect(WS + "/echo", function(socket) {
				socket.on("open", function() { interrupt(); socket.send("unreachable"); });
			});
		} catch (e) {
			caught = true;
		}
		caught`)
	var interrupted *sobek.InterruptedError
	require.ErrorAs(t, err, &interrupted, "the interruption goes through ws.connect")
	assert.Equal(t, "stop", interrupted.Value())
	requireSession(t, h.Collected(), 1)
}

func TestConnectIsAFunctionOfOneNamedArgument(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := h.runJSON(t, `JSON.stringify([typeof ws.connect, ws.connect.length])`)
	assert.Equal(t, `["function",1]`, got)
}
