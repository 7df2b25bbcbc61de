package websockets

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	httpmodule "go.k6.io/k6/js/modules/k6/http"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

func TestInitContextIsAScriptError(t *testing.T) {
	t.Parallel()
	vu := wstest.NewVU(t, New(), "")
	_, err := vu.Run(`new WebSocket("ws://127.0.0.1:1/echo")`)
	require.ErrorContains(t, err, "using websockets in the init context is not supported")
}

func TestConstructorOnAnotherObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.ErrorContains(t, e.run(`WebSocket.call({}, WS_URL + "/echo")`), "please use the 'new' operator")
	require.ErrorContains(t, e.run(`Blob.call({}, ["x"])`), "please use the 'new' operator")
}

func TestURLChecks(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ arg, want string }{
		"missing":   {``, "url is required, got undefined"},
		"null":      {`null`, "url is required, got null"},
		"ftp":       {`"ftp://127.0.0.1/echo"`, `must use the ws, wss, http or https scheme, got "ftp"`},
		"relative":  {`"/echo"`, `must use the ws, wss, http or https scheme, got ""`},
		"no host":   {`"ws:///echo"`, "has no host"},
		"fragment":  {`WS_URL + "/echo#part"`, "must not have a fragment"},
		"empty #":   {`WS_URL + "/echo#"`, "must not have a fragment"},
		"malformed": {`"ws://[::1"`, "is not a valid URL"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			err := e.run(`new WebSocket(` + tc.arg + `)`)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestURLErrorsQuoteAPrefix: an error about a long URL quotes its first
// characters and says how long it is, never the whole URL.
func TestURLErrorsQuoteAPrefix(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ arg, want string }{
		"scheme":    {`"ftp://" + "a".repeat(1000000)`, `url "ftp://aaaaaaaaaaaaaaaaaaaaaaaaaa…" (1000006 characters) must use the ws, wss, http or https scheme, got "ftp"`},
		"malformed": {`"ws://[" + "a".repeat(1000000)`, `url "ws://[aaaaaaaaaaaaaaaaaaaaaaaaaa…" (1000006 characters) is not a valid URL: missing ']' in host`},
		"fragment":  {`WS_URL + "/#" + "a".repeat(1000000)`, `characters) must not have a fragment (#...)`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			err := e.run(`new WebSocket(` + tc.arg + `)`)
			require.ErrorContains(t, err, tc.want)
			assert.Less(t, len(err.Error()), 300, "the error quotes a prefix of the URL: %.300s", err)
		})
	}
}

func TestEchoOfEveryDataType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const bytes = [0x50, 0x41, 0x53, 0x53, 0x21, 0x3f, 0x00, 0xff];
	const ab = new Uint8Array(bytes).buffer;
	const sent = [
		["string", "héllo", "héllo"],
		["ArrayBuffer", ab, "50415353213f00ff"],
		["Uint8Array", new Uint8Array(bytes), "50415353213f00ff"],
		["Int8Array", new Int8Array(ab), "50415353213f00ff"],
		["Uint8ClampedArray", new Uint8ClampedArray(ab), "50415353213f00ff"],
		["Int16Array", new Int16Array(ab), "50415353213f00ff"],
		["Uint16Array", new Uint16Array(ab, 2, 2), "5353213f"],
		["Int32Array", new Int32Array(ab, 4, 1), "213f00ff"],
		["Uint32Array", new Uint32Array(ab), "50415353213f00ff"],
		["Float32Array", new Float32Array(ab), "50415353213f00ff"],
		["Float64Array", new Float64Array(ab), "50415353213f00ff"],
		["BigInt64Array", new BigInt64Array(ab), "50415353213f00ff"],
		["BigUint64Array", new BigUint64Array(ab), "50415353213f00ff"],
		["DataView", new DataView(ab, 1, 3), "415353"],
		["Blob", new Blob(["PA", new Uint8Array([0x53, 0x53])]), "50415353"],
	];
	const hex = (buf) => Array.from(new Uint8Array(buf)).map((b) => b.toString(16).padStart(2, "0")).join("");
	const ws = new WebSocket(WS_URL + "/echo");
	ws.binaryType = "arraybuffer";
	let i = 0;
	ws.onopen = () => { for (const [, data] of sent) { ws.send(data); } };
	ws.onmessage = (ev) => {
		const [name, , want] = sent[i++];
		const got = typeof ev.data === "string" ? ev.data : hex(ev.data);
		eq(got, want, name);
		if (i === sent.length) { ws.close(); }
	};
	ws.onclose = () => { eq(i, sent.length, "echoes"); globalThis.done = true; };
	`)
	assert.Equal(t, true, e.get("done"))
	samples := e.samples()
	assert.Equal(t, 15.0, wstest.Sum(samples, "ws_msgs_sent"))
	assert.Equal(t, 15.0, wstest.Sum(samples, "ws_msgs_received"))
}

func TestSendRejectsOtherTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/echo");
	ws.onopen = () => {
		throwsWith(() => ws.send(42), "got number 42", "number");
		throwsWith(() => ws.send({a: 1}), "got Object", "object");
		throwsWith(() => ws.send(null), "got null", "null");
		throwsWith(() => ws.send(), "got undefined", "undefined");
		throwsWith(() => ws.send([1, 2]), "got Array", "array");
		ws.close();
	};
	ws.onclose = () => { globalThis.done = true; };
	`)
	assert.Equal(t, true, e.get("done"))
	assert.Zero(t, wstest.Sum(e.samples(), "ws_msgs_sent"))
}

func TestSendAndPingWhileConnectingThrowInvalidStateError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/echo");
	throwsWith(() => ws.send("early"), "InvalidStateError", "send while connecting");
	throwsWith(() => ws.ping(), "InvalidStateError", "ping while connecting");
	eq(ws.bufferedAmount, 0, "nothing was taken");
	ws.onopen = () => {
		ws.close();
		throwsWith(() => ws.ping(), "in the CLOSING state", "ping while closing");
	};
	ws.onclose = () => {
		throwsWith(() => ws.ping(), "in the CLOSED state", "ping when closed");
		globalThis.done = true;
	};
	`)
	assert.Equal(t, true, e.get("done"))
	assert.Zero(t, e.srv.Stats().MessagesReceived, "nothing may reach the server")
}

func TestProperties(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	for (const [k, v] of [["CONNECTING", 0], ["OPEN", 1], ["CLOSING", 2], ["CLOSED", 3]]) {
		eq(WebSocket[k], v, "WebSocket." + k);
	}
	const url = WS_URL + "/echo?protocols=chat";
	const ws = new WebSocket(url, ["chat", "superchat"]);
	assert(ws instanceof WebSocket, "instanceof WebSocket");
	eq(Object.prototype.toString.call(ws), "[object WebSocket]", "toString tag");
	eq(ws.CLOSED, 3, "constant on the instance");
	eq(ws.url, url, "url");
	eq(ws.readyState, 0, "readyState while connecting");
	eq(ws.bufferedAmount, 0, "bufferedAmount while connecting");
	eq(ws.protocol, "", "protocol while connecting");
	eq(ws.binaryType, "blob", "default binaryType");
	ws.binaryType = "arraybuffer";
	eq(ws.binaryType, "arraybuffer", "binaryType");
	for (const bad of ["text", "Blob", "", null, undefined, 1]) {
		ws.binaryType = bad; // WebIDL: an enumeration ignores other values
		eq(ws.binaryType, "arraybuffer", "binaryType after " + bad);
	}
	ws.binaryType = "blob";
	eq(ws.binaryType, "blob", "binaryType back to blob");
	ws.readyState = 3;
	eq(ws.readyState, 0, "readyState is read-only");
	ws.onopen = () => {
		globalThis.opened = true;
		eq(ws.readyState, 1, "readyState when open");
		eq(ws.protocol, "chat", "protocol");
		assert(Array.isArray(ws.extensions), "extensions is an array");
		ws.close();
		eq(ws.readyState, 2, "readyState after close()");
	};
	ws.onclose = () => { eq(ws.readyState, 3, "readyState in onclose"); globalThis.done = true; };
	`)
	assert.Equal(t, true, e.get("opened"))
	assert.Equal(t, true, e.get("done"))
}

func TestSubprotocols(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const single = new WebSocket(WS_URL + "/echo", "one");
	const picked = new WebSocket(WS_URL + "/echo?protocols=b,c", ["a", "b", "c"]);
	const none = new WebSocket(WS_URL + "/echo?protocols=z", ["a"]);
	const got = {};
	for (const [name, ws] of [["single", single], ["picked", picked], ["none", none]]) {
		ws.onopen = () => { got[name] = ws.protocol; ws.close(); };
	}
	none.onclose = () => { globalThis.got = got; };
	throwsWith(() => new WebSocket(WS_URL + "/echo", 3), "protocols must be a string or an array", "number");
	throwsWith(() => new WebSocket(WS_URL + "/echo", ["a", "a"]), "given twice", "duplicate");
	throwsWith(() => new WebSocket(WS_URL + "/echo", ["a b"]), "not a valid subprotocol", "space");
	`)
	assert.Equal(t, map[string]any{"single": "one", "picked": "b", "none": ""}, e.get("got"))
	tags := map[string]bool{}
	for _, s := range wstest.Of(e.samples(), "ws_sessions") {
		subproto, _ := s.Tags.Get("subproto")
		tags[subproto] = true
	}
	assert.Equal(t, map[string]bool{"one": true, "b": true, "": true}, tags)
}

func TestParamsHeadersAndCompression(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/headers", null, {
		headers: {"X-Test": "yes", "X-Number": 3},
		compression: "deflate",
	});
	ws.onmessage = (ev) => { globalThis.report = JSON.parse(ev.data); globalThis.ext = ws.extensions; ws.close(); };
	`)
	report, ok := e.get("report").(map[string]any)
	require.True(t, ok)
	headers, ok := report["headers"].(map[string]any)
	require.True(t, ok)
	assert.Equal(t, "yes", headers["X-Test"])
	assert.Equal(t, "3", headers["X-Number"])
	assert.Equal(t, "xk6-ws-test", headers["User-Agent"])
	assert.Contains(t, report["extensions"], "permessage-deflate")
	ext, ok := e.get("ext").([]any)
	require.True(t, ok)
	require.Len(t, ext, 1)
	assert.Contains(t, ext[0], "permessage-deflate")
}

func TestParamsJar(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	u, err := url.Parse(e.srv.HTTPURL())
	require.NoError(t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: "preset", Value: "p1"}})
	e.set("jar", &httpmodule.CookieJar{Jar: jar})
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/headers?set-cookie=fresh=f1", null, {jar: jar});
	ws.onmessage = (ev) => { globalThis.report = JSON.parse(ev.data); ws.close(); };
	`)
	report, ok := e.get("report").(map[string]any)
	require.True(t, ok)
	assert.Equal(t, map[string]any{"preset": "p1"}, report["cookies"])
	names := map[string]string{}
	for _, c := range jar.Cookies(u) {
		names[c.Name] = c.Value
	}
	assert.Equal(t, map[string]string{"preset": "p1", "fresh": "f1"}, names, "the 101's Set-Cookie lands in the jar")
}

func TestParamsRejected(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ params, want string }{
		"unknown key":      {`{subprotocols: ["a"]}`, "unknown WebSocket's option subprotocols"},
		"typo":             {`{header: {}}`, "unknown WebSocket's option header"},
		"not an object":    {`"headers"`, "params must be an object"},
		"compression":      {`{compression: "gzip"}`, "unsupported compression algorithm 'gzip'"},
		"handshakeTimeout": {`{handshakeTimeout: "soon"}`, "params.handshakeTimeout must be a duration"},
		"closeTimeout":     {`{closeTimeout: -5}`, "params.closeTimeout must be greater than zero"},
		"maxMessageSize":   {`{maxMessageSize: 1.5}`, "params.maxMessageSize must be a whole number"},
		"tags":             {`{tags: {a: {}}}`, "invalid params.tags"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			require.ErrorContains(t, e.run(`new WebSocket(WS_URL + "/echo", null, `+tc.params+`)`), tc.want)
			assert.Zero(t, e.srv.Stats().Connections, "nothing is dialled")
		})
	}
}

func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/hang", null, {handshakeTimeout: "300ms"});
	ws.onopen = () => log.push("open");
	ws.onerror = (ev) => log.push("error: " + ev.error);
	ws.onclose = (ev) => { log.push("close " + ev.code + " " + ev.wasClean); globalThis.log = log; };
	`)
	log, ok := e.get("log").([]any)
	require.True(t, ok)
	require.Len(t, log, 2)
	assert.Contains(t, log[0], "timed out after 300ms (handshakeTimeout)")
	assert.Equal(t, "close 1006 false", log[1])
}

func TestCloseTimeoutBoundsTheCloseHandshake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/noclose", null, {closeTimeout: 200});
	ws.onopen = () => ws.close(4000, "bye");
	ws.onerror = (ev) => log.push("error: " + ev.error);
	ws.onclose = (ev) => { log.push("close " + ev.code + " " + ev.wasClean); globalThis.log = log; };
	`)
	log, ok := e.get("log").([]any)
	require.True(t, ok)
	require.Len(t, log, 2)
	assert.Contains(t, log[0], "close handshake timed out")
	assert.Equal(t, "close 1006 false", log[1])
}

func TestMaxMessageSize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/big?size=2000", null, {maxMessageSize: 1000});
	ws.onmessage = () => log.push("message");
	ws.onerror = (ev) => log.push("error: " + ev.error);
	ws.onclose = (ev) => { log.push("close " + ev.code); globalThis.log = log; };
	`)
	log, ok := e.get("log").([]any)
	require.True(t, ok)
	require.Len(t, log, 2)
	assert.Contains(t, log[0], "maxMessageSize (1000 bytes)")
	assert.Equal(t, "close 1009", log[1])
}

func TestCloseValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/echo");
	ws.onopen = () => {
		for (const code of [0, 999, 1001, 1005, 2999, 5000, 65535, "x"]) {
			throwsWith(() => ws.close(code), "InvalidAccessError", "code " + code);
		}
		throwsWith(() => ws.close(1001), "1001 is neither", "message names the code");
		throwsWith(() => ws.close(1000, "x".repeat(124)), "SyntaxError", "124 ASCII bytes");
		throwsWith(() => ws.close(1000, "€".repeat(42)), "greater than 123 bytes", "126 UTF-8 bytes");
		eq(ws.readyState, 1, "still open after invalid calls");
		ws.close(3000.4, "€".repeat(41));
		ws.close(1000);
	};
	ws.onclose = (ev) => { globalThis.closed = [ev.code, ev.reason, ev.wasClean]; };
	`)
	assert.Equal(t, []any{int64(3000), "", true}, e.get("closed"), "the echo server answers with our code")
}

func TestServerCloseWithApplicationCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/close?code=4001&reason=bye");
	ws.onerror = (ev) => log.push("error " + ev.error);
	ws.onclose = (ev) => {
		log.push(["close", ev.code, ev.reason, ev.wasClean, ev.type, ev.target === ws].join(" "));
		globalThis.log = log;
	};
	`)
	assert.Equal(t, []any{"close 4001 bye true close true"}, e.get("log"), "no error event for a clean close")
}

func TestAbnormalClosesAre1006(t *testing.T) {
	t.Parallel()
	for name, path := range map[string]string{
		"refused": "/status?code=403",
		"garbage": "/garbage",
		"fin":     "/drop?mode=fin",
		"reset":   "/drop?mode=rst",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mustRun(`
			const log = [];
			const ws = new WebSocket(WS_URL + "` + path + `");
			ws.onerror = (ev) => log.push("error");
			ws.onclose = (ev) => { log.push("close " + ev.code + " " + ev.wasClean); globalThis.log = log; };
			`)
			assert.Equal(t, []any{"error", "close 1006 false"}, e.get("log"))
		})
	}
}

func TestRefusedHandshakeErrorAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/status?code=403");
	ws.onerror = (ev) => { globalThis.err = ev.error; };
	`)
	assert.Contains(t, e.get("err"), "403 Forbidden")
	samples := e.samples()
	assert.Equal(t, 1.0, wstest.Sum(samples, "ws_sessions"))
	assert.Equal(t, 1, wstest.Count(samples, "ws_connecting"))
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"), "every counted session gets its duration")
	assert.Equal(t, "403", tagsOf(t, samples, "ws_sessions")["status"])
}

func TestEventObjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const before = Date.now();
	const ws = new WebSocket(WS_URL + "/echo");
	const check = (ev, type) => {
		eq(ev.type, type, type + ".type");
		assert(ev.target === ws, type + ".target");
		eq(typeof ev.timestamp, "number", type + ".timestamp");
		assert(ev.timestamp >= before - 1 && ev.timestamp <= Date.now() + 1, type + ".timestamp is now");
	};
	ws.onopen = (ev) => { check(ev, "open"); ws.send("hi"); };
	ws.onmessage = (ev) => {
		check(ev, "message");
		eq(ev.data, "hi", "data");
		eq(ev.origin, WS_URL + "/echo", "origin");
		ev.data = "changed";
		eq(ev.data, "hi", "data is read-only");
		ws.close(4002, "done");
	};
	ws.onclose = (ev) => {
		check(ev, "close");
		eq(ev.code, 4002, "code");
		eq(ev.reason, "", "reason");
		eq(ev.wasClean, true, "wasClean");
		globalThis.done = true;
	};
	`)
	assert.Equal(t, true, e.get("done"))
}

func TestListeners(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/echo");
	const a = () => log.push("a");
	const b = () => log.push("b");
	const c = function (ev) { log.push("c:" + (this === ws)); };
	ws.addEventListener("open", a);
	ws.addEventListener("open", a); // a duplicate is ignored
	ws.onopen = () => log.push("on1");
	ws.addEventListener("open", b);
	ws.addEventListener("open", c);
	ws.onopen = () => log.push("on2"); // replaces on1 in place
	ws.removeEventListener("open", b);
	ws.removeEventListener("open", () => {}); // not registered: nothing happens
	ws.addEventListener("nosuchevent", a); // unknown: ignored with a warning
	eq(typeof ws.onopen, "function", "onopen getter");
	eq(ws.onmessage, null, "unset handler is null");
	ws.addEventListener("message", (ev) => {
		log.push("m:" + ev.data);
		if (ev.data === "1") {
			ws.onmessage = null;
			ws.send("2");
		} else {
			ws.close();
		}
	});
	ws.onmessage = () => log.push("removed handler");
	ws.onopen = ws.onopen;
	ws.addEventListener("open", () => ws.send("1"));
	ws.onclose = () => { globalThis.log = log; };
	throwsWith(() => ws.addEventListener("open", 3), "must be a function", "listener not a function");
	throwsWith(() => ws.addEventListener("open"), "must be a function", "listener missing");
	throwsWith(() => { ws.onclose = "x"; }, "must be a function or null", "on* not a function");
	`)
	assert.Equal(t, []any{"a", "on2", "c:true", "m:1", "m:2"}, e.get("log"),
		"the onmessage handler set to null during the dispatch is not called")
}

func TestListenerRemovedDuringDispatchIsNotCalled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/echo");
	const second = () => log.push("second");
	ws.addEventListener("open", () => { log.push("first"); ws.removeEventListener("open", second); });
	ws.addEventListener("open", second);
	ws.addEventListener("open", () => { log.push("third"); ws.addEventListener("open", () => log.push("late")); });
	ws.addEventListener("open", () => ws.close());
	ws.onclose = () => { globalThis.log = log; };
	`)
	assert.Equal(t, []any{"first", "third"}, e.get("log"))
}

func TestPingPongAndRTTMetric(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/ping?count=1");
	let pongs = 0;
	ws.onping = (ev) => { log.push(ev.type); ws.ping(); ws.ping(); };
	ws.addEventListener("pong", (ev) => { log.push(ev.type); if (++pongs === 2) { ws.close(); } });
	ws.onclose = () => { globalThis.log = log; };
	`)
	assert.Equal(t, []any{"ping", "pong", "pong"}, e.get("log"))
	samples := e.samples()
	assert.Equal(t, 2, wstest.Count(samples, "ws_ping"))
	assert.Zero(t, wstest.Sum(samples, "ws_msgs_sent"), "pings and close frames are not messages")
	assert.EqualValues(t, 1, e.srv.Stats().PongsReceived, "the core answered the server's ping")
}

func TestUnsolicitedPongIsAnEventButNoRTT(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/pong?count=1");
	ws.onpong = () => { globalThis.pong = true; ws.close(); };
	`)
	assert.Equal(t, true, e.get("pong"))
	assert.Zero(t, wstest.Count(e.samples(), "ws_ping"))
}

func TestMessagesBeforeCloseAreCountedAndOrdered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const n = 500;
	const ws = new WebSocket(WS_URL + "/echo");
	let next = 0;
	ws.onopen = () => { for (let i = 0; i < n; i++) { ws.send(String(i)); } ws.send("end"); };
	ws.onmessage = (ev) => {
		if (ev.data === "end") { ws.close(); return; }
		eq(ev.data, String(next++), "message order");
	};
	ws.onclose = () => { globalThis.got = next; };
	`)
	assert.EqualValues(t, 500, e.get("got"))
	samples := e.samples()
	assert.Equal(t, 501.0, wstest.Sum(samples, "ws_msgs_sent"))
	assert.Equal(t, 501.0, wstest.Sum(samples, "ws_msgs_received"))
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"))
}

func TestMetricTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const a = new WebSocket(WS_URL + "/echo?protocols=p", "p", {tags: {custom: "yes"}});
	a.onopen = () => { a.send("x"); };
	a.onmessage = () => a.close();
	const b = new WebSocket(WS_URL + "/echo", null, {tags: {name: "my-name"}});
	b.onopen = () => b.close();
	`)
	var named, plain map[string]string
	samples := e.samples()
	for _, s := range wstest.Of(samples, "ws_session_duration") {
		if tags := s.Tags.Map(); tags["name"] == "my-name" {
			named = tags
		} else {
			plain = tags
		}
	}
	u := e.srv.URL() + "/echo?protocols=p"
	require.NotNil(t, plain)
	assert.Equal(t, u, plain["url"])
	assert.Equal(t, u, plain["name"])
	assert.Equal(t, "yes", plain["custom"])
	assert.Equal(t, "101", plain["status"])
	assert.Equal(t, "p", plain["subproto"])
	require.NotNil(t, named)
	assert.Equal(t, "my-name", named["url"], "a name set by the script is the url tag too")
	for _, metric := range []string{"ws_sessions", "ws_connecting", "ws_msgs_sent", "ws_msgs_received"} {
		found := false
		for _, s := range wstest.Of(samples, metric) {
			found = found || s.Tags.Map()["url"] == u
		}
		assert.True(t, found, metric)
	}
}

func TestManySocketsPerVU(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("registered", e.registered)
	e.mustRun(`
	const sockets = 20, messages = 10;
	const all = [], got = [];
	let opened = 0, closed = 0;
	// The timers hold a registered callback of their own while one runs:
	// measure it alone first.
	setTimeout(() => { globalThis.base = registered(); start(); }, 0);
	const start = () => {
	for (let s = 0; s < sockets; s++) {
		const ws = new WebSocket(WS_URL + "/echo");
		all.push(ws);
		got.push([]);
		ws.onopen = () => {
			if (++opened < sockets) { return; }
			setTimeout(() => {
				globalThis.idle = registered();
				all.forEach((w, k) => { for (let i = 0; i < messages; i++) { w.send(k + ":" + i); } });
			}, 0);
		};
		ws.onmessage = (ev) => {
			eq(ev.data, s + ":" + got[s].length, "each socket gets its own echoes in order");
			got[s].push(ev.data);
			if (got[s].length === messages) { ws.close(); }
		};
		ws.onclose = () => { closed++; };
	}
	};
	globalThis.result = () => [opened, closed];
	`)
	res, err := e.vu.Run(`result()`)
	require.NoError(t, err)
	assert.Equal(t, []any{int64(20), int64(20)}, res.Export())
	idle, ok := e.get("idle").(int64)
	require.True(t, ok)
	base, ok := e.get("base").(int64)
	require.True(t, ok)
	assert.EqualValues(t, 20, idle-base, "one registered callback per live socket while all are idle")
	assert.Zero(t, e.registered(), "no callback left registered once every socket closed")
	samples := e.samples()
	assert.Equal(t, 200.0, wstest.Sum(samples, "ws_msgs_sent"))
	assert.Equal(t, 200.0, wstest.Sum(samples, "ws_msgs_received"))
	assert.Equal(t, 20, wstest.Count(samples, "ws_session_duration"))
}

func TestPromisesAndTimersInHandlers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const log = [];
	const ws = new WebSocket(WS_URL + "/echo");
	ws.onopen = async () => {
		log.push("open");
		await new Promise((resolve) => setTimeout(resolve, 10));
		log.push("after timer");
		ws.send("ping-me");
	};
	ws.onmessage = async (ev) => {
		const text = await Promise.resolve(ev.data + "!");
		log.push(text);
		setTimeout(() => { log.push("timeout"); ws.close(); }, 5);
	};
	ws.onclose = () => { globalThis.log = log; };
	`)
	assert.Equal(t, []any{"open", "after timer", "ping-me!", "timeout"}, e.get("log"))
}

func TestRequireGivesTheNamedExports(t *testing.T) {
	t.Parallel()
	vu := wstest.NewVU(t, New(), "")
	require.NoError(t, vu.SetupModuleSystem(map[string]any{"k6/x/websockets": New()}, nil, nil))
	_, err := vu.Run(`
	const mod = require("k6/x/websockets");
	if (typeof mod.WebSocket !== "function" || typeof mod.Blob !== "function") { throw new Error("missing exports"); }
	if (mod.WebSocket.CONNECTING !== 0) { throw new Error("constants"); }
	if (!(new mod.Blob(["x"]) instanceof mod.Blob)) { throw new Error("Blob"); }
	`)
	require.NoError(t, err)
}

func TestMethodsOnOtherObjectsThrow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	throwsWith(() => WebSocket.prototype.send.call({}, "x"), "not a WebSocket", "send");
	throwsWith(() => WebSocket.prototype.readyState, "not a WebSocket", "getter on the prototype");
	throwsWith(() => Blob.prototype.size, "not a Blob", "Blob getter on the prototype");
	`)
}

// blockedOn returns a Go function for scripts that blocks the event loop
// until ready returns true, as a slow handler would (bounded: the test fails
// after 15s).
func blockedOn(t *testing.T, ready func() bool) func() {
	return func() {
		assert.Eventually(t, ready, 15*time.Second, 100*time.Millisecond)
	}
}

func TestSeveralQueuedEventsInOneCallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("callback", e.callback)
	e.set("holdUntilGone", func(v sobek.Value) {
		select {
		case <-socketOf(t, e.rt, v).conn.Done():
		case <-time.After(10 * time.Second):
			t.Error("the connection did not end")
		}
	})
	e.mustRun(`
	const seen = [];
	const ws = new WebSocket(WS_URL + "/close?after=10&code=4000");
	ws.onopen = () => { for (let i = 0; i < 10; i++) { ws.send(String(i)); } };
	ws.onmessage = (ev) => {
		if (ev.data === "0") { holdUntilGone(ws); }
		seen.push(["m" + ev.data, callback()]);
	};
	ws.onclose = (ev) => { seen.push(["close " + ev.code, callback()]); globalThis.seen = seen; };
	`)
	seen, ok := e.get("seen").([]any)
	require.True(t, ok)
	require.Len(t, seen, 11)
	callbacks := map[any]bool{}
	var order []any
	for _, s := range seen {
		pair, ok := s.([]any)
		require.True(t, ok)
		order = append(order, pair[0])
		callbacks[pair[1]] = true
	}
	assert.Equal(t, []any{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "close 4000"}, order)
	assert.LessOrEqual(t, len(callbacks), 2,
		"what was queued while the script was busy arrives in one callback: %v", seen)
}

func TestInboundQueueIsBoundedWhileTheScriptIsBusy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const bound = 1000 // 64 KiB messages: 64 MiB, far above the core's queue plus the TCP buffers
	var plateau int64
	stable := 0
	e.set("busy", blockedOn(t, func() bool {
		sent := e.srv.Stats().MessagesSent
		if sent == plateau {
			stable++
		} else {
			stable = 0
		}
		plateau = sent
		return stable >= 3 && sent > 0
	}))
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/push?size=65536&binary=true", null, {closeTimeout: "3s"});
	let messages = 0;
	ws.onmessage = () => {
		messages++;
		busy();
		ws.close();
	};
	ws.onclose = () => { globalThis.messages = messages; };
	`)
	assert.Less(t, plateau, int64(bound), "the server could push %d messages while the script was busy", plateau)
	assert.EqualValues(t, 1, e.get("messages"), "messages arriving after close() are not delivered")
	assert.Equal(t, 1.0, wstest.Sum(e.samples(), "ws_msgs_received"))
}

func TestBufferedAmountIsTheUnwrittenBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/slowread", null, {closeTimeout: "200ms"});
	ws.onopen = () => {
		const chunk = "x".repeat(1 << 20);
		let queued = 0;
		for (let i = 0; i < 32; i++) { ws.send(chunk); queued += chunk.length; }
		const buffered = ws.bufferedAmount;
		assert(buffered > 0, "bytes wait for a peer that does not read: " + buffered);
		assert(buffered <= queued, "no more than was sent: " + buffered);
		globalThis.buffered = buffered;
		ws.close();
	};
	`)
	assert.Positive(t, e.get("buffered"))
}

func TestCloseWhileConnectingDoesNotBlock(t *testing.T) {
	t.Parallel()
	// The default handshakeTimeout (60s) applies: close() aborts the
	// handshake in flight.
	for name, path := range map[string]string{"hanging server": "/hang", "answering server": "/echo"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.mustRun(`
			const log = [];
			const ws = new WebSocket(WS_URL + "` + path + `");
			ws.onopen = () => log.push("open");
			ws.onmessage = () => log.push("message");
			ws.onerror = (ev) => log.push("error: " + ev.error);
			ws.onclose = (ev) => { log.push("close " + ev.code + " " + ev.wasClean + " " + ws.readyState); };
			ws.close();
			log.push("closing " + ws.readyState);
			globalThis.log = log;
			`)
			assert.Equal(t, []any{
				"closing 2",
				"error: WebSocket was closed before the connection was established",
				"close 1006 false 3",
			}, e.get("log"))
		})
	}
}

func TestInterruptionWhileOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("interrupt", e.vu.CancelContext)
	e.mustRun(`
	const log = [];
	globalThis.log = log;
	const ws = new WebSocket(WS_URL + "/noclose", null, {closeTimeout: "1h"});
	ws.onopen = () => { log.push("open"); ws.send("x"); interrupt(); };
	ws.onmessage = () => log.push("message");
	ws.onerror = () => log.push("error");
	ws.onclose = () => log.push("close");
	`)
	assert.Equal(t, []any{"open"}, e.get("log"), "no listener runs once the VU's context is over")
	samples := e.samples()
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"), "the session still ends")
}

func TestInterruptionWhileConnecting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.set("interruptOnceAccepted", blockedOn(t, func() bool {
		if e.srv.Stats().Connections == 0 {
			return false
		}
		e.vu.CancelContext()
		return true
	}))
	e.mustRun(`
	const log = [];
	globalThis.log = log;
	const ws = new WebSocket(WS_URL + "/hang");
	ws.onerror = () => log.push("error");
	ws.onclose = () => log.push("close");
	interruptOnceAccepted();
	`)
	assert.Empty(t, e.get("log"), "no listener runs once the VU's context is over")
	samples := e.samples()
	assert.Zero(t, wstest.Count(samples, "ws_sessions"), "like k6, nothing is pushed once the context is over")
}

func TestThrowingListenerEndsTheIterationAndTheSocket(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"open", "message", "close", "error"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			path := "/echo"
			if event == "error" {
				path = "/status"
			}
			err := e.run(`
			const log = [];
			globalThis.log = log;
			const ws = new WebSocket(WS_URL + "` + path + `");
			ws.onopen = () => { log.push("open"); ws.send("x"); };
			ws.onmessage = () => { log.push("message"); ws.close(); };
			ws.onerror = () => log.push("error");
			ws.onclose = () => log.push("close");
			ws.addEventListener("` + event + `", () => { throw new Error("boom in ` + event + `"); });
			`)
			require.ErrorContains(t, err, "boom in "+event)
			log, ok := e.get("log").([]any)
			require.True(t, ok)
			require.NotEmpty(t, log)
			assert.Equal(t, event, log[len(log)-1], "nothing runs after the listener threw")
		})
	}
}

func TestThrowingListenerAbortsTheConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	err := e.run(`
	const ws = new WebSocket(WS_URL + "/noclose", null, {closeTimeout: "30s"});
	ws.onopen = () => { throw new Error("boom"); };
	`)
	require.ErrorContains(t, err, "boom")
	samples := e.samples()
	assert.Equal(t, 1, wstest.Count(samples, "ws_session_duration"), "the session ended")
}

func TestExtensionsIsACopy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(`
	const ws = new WebSocket(WS_URL + "/echo", null, {compression: "deflate"});
	ws.onopen = () => {
		ws.extensions.push("x");
		globalThis.ext = ws.extensions.length;
		ws.close();
	};
	`)
	assert.EqualValues(t, 1, e.get("ext"))
}
