package types

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/events"
	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
	"github.com/loadkit/xk6-ws/websockets"
	"github.com/loadkit/xk6-ws/ws"
)

// tscTimeout bounds one type-check; it takes a few seconds.
const tscTimeout = 3 * time.Minute

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runProbe runs script in vu against srv; the script fills the global
// object `out`, which is returned decoded into dst.
func runProbe(t *testing.T, vu *wstest.VU, srv *echoserver.Server, script string, dst any) {
	t.Helper()
	rt := vu.VU.Runtime()
	require.NoError(t, rt.Set("URL", srv.URL()))
	vu.MoveToVU()
	_, err := vu.Run("var out = {};\n" + script)
	require.NoError(t, err, "the probe script failed")
	js, err := rt.RunString("JSON.stringify(out)")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(js.String()), dst), "decoding %s", js.String())
}

func startServer(t *testing.T) *echoserver.Server {
	t.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

// socketProbe collects, in k6/ws, what a script can see.
const socketProbe = `
out.moduleKeys = Object.keys(ws);
out.errorMembers = [];
const res = ws.connect(URL + "/close?code=4001&after=1", null, (socket) => {
	out.socketKeys = Object.keys(Object.getPrototypeOf(socket)).concat(Object.keys(socket));
	socket.on("open", () => socket.send("x"));
	socket.on("error", (e) => {
		out.errorMembers = ["error", "toString"].filter((name) => typeof e[name] === "function");
		out.errorText = e.error();
	});
	socket.setTimeout(() => socket.close(), 5000);
});
out.responseKeys = Object.keys(res);
out.paramErrors = {};
for (const key of PARAM_KEYS) {
	try {
		ws.connect(URL + "/echo", { [key]: "\u2603 not valid" }, (socket) => socket.close());
		out.paramErrors[key] = "";
	} catch (e) {
		out.paramErrors[key] = String(e);
	}
}
`

type socketProbeResult struct {
	ModuleKeys   []string          `json:"moduleKeys"`
	SocketKeys   []string          `json:"socketKeys"`
	ResponseKeys []string          `json:"responseKeys"`
	ErrorMembers []string          `json:"errorMembers"`
	ErrorText    string            `json:"errorText"`
	ParamErrors  map[string]string `json:"paramErrors"`
}

// probeSocketAPI runs socketProbe in a VU with k6/x/ws. Every params key the
// class accepts, and subprotocols, is given a bad value; the module must
// reject each, naming it, which shows that it reads them all.
func probeSocketAPI(t *testing.T) (socketProbeResult, []string) {
	t.Helper()
	srv := startServer(t)
	vu := wstest.NewVU(t, ws.New(), "ws")
	paramKeys := append(classParamKeys(t), "subprotocols")
	require.NoError(t, vu.VU.Runtime().Set("PARAM_KEYS", paramKeys))
	var got socketProbeResult
	runProbe(t, vu, srv, socketProbe, &got)
	require.NotEmpty(t, got.ErrorText, "the probe's error handler did not run")
	assert.Contains(t, got.ErrorMembers, "error", "the error value has an error() method")
	for _, key := range paramKeys {
		assert.Contains(t, got.ParamErrors[key], key, "ws.connect params.%s is not read by the module", key)
	}
	return got, paramKeys
}

// classParamKeys returns the params keys the WebSocket class accepts, as the
// error for an unknown key lists them.
func classParamKeys(t *testing.T) []string {
	t.Helper()
	srv := startServer(t)
	vu := wstest.NewVU(t, websockets.New(), "")
	var got struct {
		Error string `json:"error"`
	}
	runProbe(t, vu, srv, `try { new WebSocket(URL + "/echo", null, { probe: 1 }); } catch (e) { out.error = String(e); }`,
		&got)
	m := regexp.MustCompile(`\(allowed: ([^)]*)\)`).FindStringSubmatch(got.Error)
	require.NotNil(t, m, "the error for an unknown param lists no allowed keys: %q", got.Error)
	return strings.Split(m[1], ", ")
}

// classProbe collects, in k6/x/websockets, what a script can see.
const classProbe = `
const skip = ["length", "name", "prototype"];
out.wsStatics = Object.getOwnPropertyNames(WebSocket).filter((n) => !skip.includes(n));
out.constants = {};
for (const n of out.wsStatics) { out.constants[n] = String(WebSocket[n]); }
out.wsProto = Object.getOwnPropertyNames(WebSocket.prototype).filter((n) => n !== "constructor");
out.blobStatics = Object.getOwnPropertyNames(Blob).filter((n) => !skip.includes(n));
out.blobProto = Object.getOwnPropertyNames(Blob.prototype).filter((n) => n !== "constructor");
const blob = new Blob(["abc"]);
out.blobInstance = Object.getOwnPropertyNames(blob);
const stream = blob.stream();
out.stream = Object.getOwnPropertyNames(stream);
const reader = stream.getReader();
out.reader = Object.getOwnPropertyNames(reader);
reader.read().then((r) => { out.readResult = Object.keys(r); });

out.events = {};
out.rejected = {};
// every enumerable property, own or inherited (events may share theirs on a prototype)
const record = (e) => { const keys = []; for (const k in e) { keys.push(k); } out.events[e.type] = keys; };
const socket = new WebSocket(URL + "/ping?count=1");
out.wsInstance = Object.getOwnPropertyNames(socket);
out.defaultBinaryType = socket.binaryType;
// An assignment of a value the class does not take is ignored (WHATWG).
out.binaryTypes = BINARY_TYPES.filter((v) => {
	try { socket.binaryType = v; return socket.binaryType === v; } catch (e) { return false; }
});
socket.binaryType = out.defaultBinaryType;
out.compression = COMPRESSION.filter((v) => {
	try { new WebSocket(URL + "/echo", null, { compression: v }).close(); return true; } catch (e) { return false; }
});
for (const t of ["open", "message", "ping", "pong", "close"]) { socket.addEventListener(t, record); }
const seen = new Set();
const done = (t) => { seen.add(t); if (seen.size === 3) { socket.close(); } };
socket.onopen = () => { socket.ping(); socket.send("x"); };
socket.onmessage = () => done("message");
socket.onping = () => done("ping");
socket.onpong = () => done("pong");
const refused = new WebSocket(URL + "/status?code=403");
refused.onerror = record;
const guard = setTimeout(() => socket.close(), 5000);
socket.addEventListener("close", () => clearTimeout(guard));
`

type classProbeResult struct {
	WSStatics         []string            `json:"wsStatics"`
	Constants         map[string]string   `json:"constants"`
	WSProto           []string            `json:"wsProto"`
	WSInstance        []string            `json:"wsInstance"`
	BlobStatics       []string            `json:"blobStatics"`
	BlobProto         []string            `json:"blobProto"`
	BlobInstance      []string            `json:"blobInstance"`
	Stream            []string            `json:"stream"`
	Reader            []string            `json:"reader"`
	ReadResult        []string            `json:"readResult"`
	Events            map[string][]string `json:"events"`
	DefaultBinaryType string              `json:"defaultBinaryType"`
	BinaryTypes       []string            `json:"binaryTypes"`
	Compression       []string            `json:"compression"`
}

// Candidates tried at run time: the definitions must declare exactly those
// the module accepts.
var (
	binaryTypeCandidates  = []string{"blob", "arraybuffer", "nodebuffer", "text", ""}
	compressionCandidates = []string{"deflate", "", "gzip", "permessage-deflate", "x-webkit-deflate-frame"}
)

// probeClass runs classProbe in a VU with k6/x/websockets.
func probeClass(t *testing.T) (classProbeResult, []string) {
	t.Helper()
	srv := startServer(t)
	vu := wstest.NewVU(t, websockets.New(), "")
	require.NoError(t, vu.VU.Runtime().Set("BINARY_TYPES", binaryTypeCandidates))
	require.NoError(t, vu.VU.Runtime().Set("COMPRESSION", compressionCandidates))
	var got classProbeResult
	runProbe(t, vu, srv, classProbe, &got)
	require.Len(t, got.Events, 6, "the probe saw every type of event: %v", got.Events)
	exports := websockets.New().NewModuleInstance(vu.VU).Exports()
	names := make([]string, 0, len(exports.Named))
	for name := range exports.Named {
		names = append(names, name)
	}
	slices.Sort(names)
	return got, names
}

// TestDefinitionsMatchTheModules has tsc judge index.d.ts against the real
// modules, both ways: the probes above collect what a script sees in a VU
// (exported names, methods and properties of sockets, events and Blobs,
// constants, the params keys and values the modules accept), the test
// writes those facts as type-level checks against the declarations
// (checks.ts: each declared name must exist, each name that exists must be
// declared, each constant must have its value) and tsc must accept them.
// On failure tsc's message names the difference, at a line of the listing
// that the test logs.
func TestDefinitionsMatchTheModules(t *testing.T) {
	t.Parallel()
	tsc := findTSC(t)
	sock, wsParams := probeSocketAPI(t)
	class, classExports := probeClass(t)

	c := newTSChecks()
	c.line(`import * as wsNS from "k6/x/ws";`)
	c.line(`import wsDefault from "k6/x/ws";`)
	c.line(`import * as wscNS from "k6/x/websockets";`)
	c.line(`import wscDefault from "k6/x/websockets";`)
	c.line(`import * as stockWs from "k6/ws";`)
	c.line(`import stockWsDefault from "k6/ws";`)
	c.line(`import * as stockWebsockets from "k6/websockets";`)
	c.line(`import stockWebsocketsDefault from "k6/websockets";`)
	c.line(`import * as experimental from "k6/experimental/websockets";`)
	c.line(`import experimentalDefault from "k6/experimental/websockets";`)

	// k6/x/ws
	c.sameNames("k6/x/ws exports", `Exclude<keyof typeof wsNS, "default">`, sock.ModuleKeys)
	c.sameNames("k6/x/ws default export", `keyof typeof wsDefault`, sock.ModuleKeys)
	c.sameNames("Socket methods", `keyof wsNS.Socket`, sock.SocketKeys)
	c.sameNames("Response fields", `keyof wsNS.Response`, sock.ResponseKeys)
	c.declaredWithin("SocketError members", `keyof wsNS.SocketError`, sock.ErrorMembers)
	c.declares("SocketError members", `keyof wsNS.SocketError`, []string{"error"})
	socketEvents := []string{events.Open, events.Message, events.BinaryMessage, events.Ping, events.Pong,
		events.Error, events.Close}
	c.sameNames("SocketEventName", `wsNS.SocketEventName`, socketEvents)
	c.line(`declare const socket: wsNS.Socket;`)
	for _, name := range socketEvents {
		c.comment("Socket.on takes the event " + name)
		c.line(fmt.Sprintf(`socket.on(%s, () => {});`, quote(name)))
	}
	c.sameNames("ws.connect params keys", `keyof wsNS.Params`, wsParams)

	// k6/x/websockets
	c.sameNames("k6/x/websockets exports", `Exclude<keyof typeof wscNS, "default">`, classExports)
	c.sameNames("k6/x/websockets default export", `keyof typeof wscDefault`, classExports)
	c.sameNames("WebSocket static members", `Exclude<keyof typeof wscNS.WebSocket, "prototype">`, class.WSStatics)
	c.sameNames("WebSocket prototype and instance members", `keyof wscNS.WebSocket`,
		append(slices.Clone(class.WSProto), class.WSInstance...))
	for _, name := range sortedKeys(class.Constants) {
		c.sameType("WebSocket."+name, `(typeof wscNS.WebSocket)[`+quote(name)+`]`, class.Constants[name])
		c.sameType("WebSocket.prototype."+name, `wscNS.WebSocket[`+quote(name)+`]`, class.Constants[name])
	}
	var handlers []string
	for _, name := range class.WSProto {
		if event, ok := strings.CutPrefix(name, "on"); ok {
			handlers = append(handlers, event)
		}
	}
	c.sameNames("WebSocketEventType (the on<type> handlers)", `wscNS.WebSocketEventType`, handlers)
	c.sameNames("WebSocketEventMap", `keyof wscNS.WebSocketEventMap`, handlers)
	for _, typ := range sortedKeys(class.Events) {
		c.sameNames("properties of a "+typ+" event", `keyof wscNS.WebSocketEventMap[`+quote(typ)+`]`, class.Events[typ])
	}
	c.sameNames("WebSocket params keys", `keyof wscNS.Params`, classParamKeys(t))
	c.sameNames("BinaryType: the binaryType values the module accepts", `wscNS.BinaryType`, class.BinaryTypes)
	c.declares("the default binaryType", `wscNS.BinaryType`, []string{class.DefaultBinaryType})
	c.sameNames("compression values the module accepts", `NonNullable<wscNS.Params["compression"]>`, class.Compression)
	c.sameNames("Blob static members", `Exclude<keyof typeof wscNS.Blob, "prototype">`, class.BlobStatics)
	c.sameNames("Blob prototype and instance members", `keyof wscNS.Blob`,
		append(slices.Clone(class.BlobProto), class.BlobInstance...))
	c.sameNames("Blob.stream() members", `keyof wscNS.BlobStream`, class.Stream)
	c.sameNames("stream reader members", `keyof wscNS.BlobStreamReader`, class.Reader)
	c.sameNames("read() result fields", `keyof wscNS.BlobStreamReadResult`, class.ReadResult)

	// k6's own names, registered by register.go, are the same modules.
	c.sameTypes("k6/ws is k6/x/ws", `typeof stockWs`, `typeof wsNS`)
	c.sameTypes("k6/ws's default export", `typeof stockWsDefault`, `typeof wsDefault`)
	c.sameTypes("k6/websockets is k6/x/websockets", `typeof stockWebsockets`, `typeof wscNS`)
	c.sameTypes("k6/websockets's default export", `typeof stockWebsocketsDefault`, `typeof wscDefault`)
	c.sameTypes("k6/experimental/websockets is k6/x/websockets", `typeof experimental`, `typeof wscNS`)
	c.sameTypes("k6/experimental/websockets's default export", `typeof experimentalDefault`, `typeof wscDefault`)

	c.typeCheck(t, tsc)
}

// TestTypeChecksCatchAMismatch proves that the checks can fail: a name the
// module does not have, or a constant of another value, is an error of tsc
// that names it.
func TestTypeChecksCatchAMismatch(t *testing.T) {
	t.Parallel()
	tsc := findTSC(t)
	c := newTSChecks()
	c.line(`import * as wsNS from "k6/x/ws";`)
	c.sameNames("Socket methods, one missing", `keyof wsNS.Socket`,
		[]string{"on", "send", "sendBinary", "ping", "close", "setTimeout", "setInterval", "reconnect"})
	c.sameNames("Socket methods, one undeclared", `keyof wsNS.Socket`,
		[]string{"on", "send", "sendBinary", "ping", "close", "setTimeout"})
	out, err := c.run(t, tsc)
	require.Error(t, err, "tsc accepted wrong names:\n%s", out)
	assert.Contains(t, out, `"reconnect"`, "tsc names the name the definitions lack")
	assert.Contains(t, out, `"setInterval"`, "tsc names the name the module lacks")
}

// TestUsageTypeChecks type-checks usage.ts and misuse.ts against index.d.ts
// with tsc (`tsc -p .` in this directory), and usage-k6-types.ts against
// index.d.ts together with @types/k6 (`tsc -p tsconfig.k6-types.json`).
// usage.ts must compile; every line of misuse.ts marked
// `// @ts-expect-error` must not (tsc reports a marked line that compiles).
// It needs TypeScript and @types/k6: `cd types && npm ci` installs the
// pinned versions into types/node_modules.
func TestUsageTypeChecks(t *testing.T) {
	t.Parallel()
	tsc := findTSC(t)
	for _, project := range []string{"tsconfig.json", "tsconfig.k6-types.json"} {
		t.Run(project, func(t *testing.T) {
			t.Parallel()
			if project != "tsconfig.json" {
				_, err := os.Stat("node_modules/@types/k6")
				require.NoError(t, err, "@types/k6 is not installed: run `cd types && npm ci`")
			}
			out, err := runTSC(t, tsc, project)
			require.NoError(t, err, "tsc -p %s found errors:\n%s", project, out)
		})
	}
}

// runTSC runs tsc on a project file.
func runTSC(t *testing.T, tsc []string, project string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), tscTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, tsc[0], append(tsc[1:], "-p", project)...).CombinedOutput()
	require.NoError(t, ctx.Err(), "tsc took longer than %s", tscTimeout)
	return string(out), err
}

// findTSC returns the command that runs tsc, or skips the test when
// TypeScript is not installed.
func findTSC(t *testing.T) []string {
	t.Helper()
	for _, local := range []string{"node_modules/.bin/tsc", "../node_modules/.bin/tsc"} {
		if _, err := os.Stat(local); err == nil {
			abs, err := filepath.Abs(local)
			require.NoError(t, err)
			return []string{abs}
		}
	}
	if tsc, err := exec.LookPath("tsc"); err == nil {
		return []string{tsc}
	}
	t.Skip("tsc is not installed: run `cd types && npm ci` to install the pinned TypeScript")
	return nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
