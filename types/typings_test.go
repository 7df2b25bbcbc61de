package types

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// definitions parses ../index.d.ts.
func definitions(t *testing.T) *dtsFile {
	t.Helper()
	src, err := os.ReadFile("../index.d.ts")
	require.NoError(t, err)
	f, err := parseDTS(string(src))
	require.NoError(t, err, "parsing index.d.ts")
	return f
}

// module returns the declarations of the module called name.
func module(t *testing.T, f *dtsFile, name string) *dtsModule {
	t.Helper()
	m, ok := f.modules[name]
	require.True(t, ok, "index.d.ts declares no module %q", name)
	return m
}

// members returns the instance members of a class or interface of m.
func members(t *testing.T, m *dtsModule, shape string) []string {
	t.Helper()
	names, err := m.memberNames(shape)
	require.NoError(t, err)
	return names
}

// literals returns the string literals of a type alias of m.
func literals(t *testing.T, m *dtsModule, alias string) []string {
	t.Helper()
	values, err := m.literals(alias)
	require.NoError(t, err)
	require.NotEmpty(t, values, "type %s of %s has no string literal", alias, m.name)
	return values
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

// TestSocketAPIMatchesDefinitions compares k6/x/ws as a VU sees it with the
// declarations of index.d.ts, both ways.
func TestSocketAPIMatchesDefinitions(t *testing.T) {
	t.Parallel()
	d := module(t, definitions(t), "k6/x/ws")
	srv := startServer(t)
	vu := wstest.NewVU(t, ws.New(), "ws")
	wsParams := members(t, d, "Params")
	require.NoError(t, vu.VU.Runtime().Set("PARAM_KEYS", wsParams))
	var got socketProbeResult
	runProbe(t, vu, srv, socketProbe, &got)

	assert.ElementsMatch(t, got.ModuleKeys, sortedKeys(d.values), "exported functions")
	assert.Equal(t, "ws", d.defaultObject, "the default export")
	assert.ElementsMatch(t, got.ModuleKeys, members(t, d, "ws"), "members of the default export")
	assert.ElementsMatch(t, got.SocketKeys, members(t, d, "Socket"), "Socket methods")
	assert.ElementsMatch(t, got.ResponseKeys, members(t, d, "Response"), "Response fields")
	assert.NotEmpty(t, got.ErrorText, "the probe's error handler did not run")
	assert.ElementsMatch(t, []string{"error"}, members(t, d, "SocketError"), "SocketError members")
	assert.Contains(t, got.ErrorMembers, "error", "the error value has an error() method")

	eventNames := []string{events.Open, events.Message, events.BinaryMessage, events.Ping, events.Pong,
		events.Error, events.Close}
	assert.ElementsMatch(t, eventNames, literals(t, d, "SocketEventName"), "SocketEventName")
	var onEvents []string
	for _, decl := range module(t, definitions(t), "k6/x/ws").shapes["Socket"].members["on"] {
		event, _, _ := strings.Cut(decl, ",") // the first parameter: the event name(s)
		onEvents = append(onEvents, stringLiterals(event)...)
	}
	assert.ElementsMatch(t, eventNames, onEvents, "the events of the Socket.on overloads")

	// Every declared param key is one the module reads: a bad value for it
	// throws an error naming it.
	for _, key := range wsParams {
		assert.Contains(t, got.ParamErrors[key], key, "ws.connect params.%s is not read by the module", key)
	}
	// Every key the module reads is declared: the WebSocket class lists them
	// (all but subprotocols) when it rejects an unknown one.
	assert.ElementsMatch(t, append(classParamKeys(t), "subprotocols"), wsParams, "ws.connect params keys")
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
for (const v of BINARY_TYPES) {
	try { socket.binaryType = v; } catch (e) { out.rejected["binaryType " + v] = String(e); }
}
for (const v of COMPRESSION) {
	try {
		new WebSocket(URL + "/echo", null, { compression: v }).close();
	} catch (e) { out.rejected["compression " + v] = String(e); }
}
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
	Rejected          map[string]string   `json:"rejected"`
}

// TestWebSocketClassMatchesDefinitions compares k6/x/websockets as a VU
// sees it with the declarations of index.d.ts, both ways.
func TestWebSocketClassMatchesDefinitions(t *testing.T) {
	t.Parallel()
	d := module(t, definitions(t), "k6/x/websockets")
	srv := startServer(t)
	vu := wstest.NewVU(t, websockets.New(), "")
	binaryTypes := literals(t, d, "BinaryType")
	compression, err := d.shapes["Params"].propertyLiterals("compression")
	require.NoError(t, err)
	require.NoError(t, vu.VU.Runtime().Set("BINARY_TYPES", binaryTypes))
	require.NoError(t, vu.VU.Runtime().Set("COMPRESSION", compression))
	var got classProbeResult
	runProbe(t, vu, srv, classProbe, &got)

	exports := websockets.New().NewModuleInstance(vu.VU).Exports()
	assert.ElementsMatch(t, sortedKeys(exports.Named), sortedKeys(d.values), "exported classes")
	assert.Equal(t, "websockets", d.defaultObject, "the default export")
	assert.ElementsMatch(t, sortedKeys(exports.Named), members(t, d, "websockets"), "members of the default export")

	wsClass, err := d.shape("WebSocket")
	require.NoError(t, err)
	assert.ElementsMatch(t, got.WSStatics, sortedKeys(wsClass.statics), "WebSocket static members")
	for name, decls := range wsClass.statics {
		assert.Equal(t, got.Constants[name], memberType(decls[0]), "the value of WebSocket.%s", name)
	}
	assert.ElementsMatch(t, append(got.WSProto, got.WSInstance...), members(t, d, "WebSocket"),
		"WebSocket prototype and instance members")
	for name, decls := range wsClass.members {
		if value, isConstant := got.Constants[name]; isConstant {
			assert.Equal(t, value, memberType(decls[0]), "the value of WebSocket.prototype.%s", name)
		}
	}

	var handlers []string
	for _, name := range got.WSProto {
		if strings.HasPrefix(name, "on") {
			handlers = append(handlers, strings.TrimPrefix(name, "on"))
		}
	}
	assert.ElementsMatch(t, handlers, literals(t, d, "WebSocketEventType"), "event types (the on<type> handlers)")
	assert.ElementsMatch(t, handlers, members(t, d, "WebSocketEventMap"), "WebSocketEventMap")
	eventMap, err := d.shape("WebSocketEventMap")
	require.NoError(t, err)
	assert.Len(t, got.Events, len(handlers), "the probe saw every type of event: %v", got.Events)
	for typ, keys := range got.Events {
		decls, ok := eventMap.members[typ]
		if assert.True(t, ok, "WebSocketEventMap has no %s", typ) {
			assert.ElementsMatch(t, keys, members(t, d, memberType(decls[0])), "properties of a %s event", typ)
		}
	}
	assert.ElementsMatch(t, classParamKeys(t), members(t, d, "Params"), "WebSocket params keys")

	assert.Contains(t, binaryTypes, got.DefaultBinaryType, "the default binaryType is a BinaryType")
	assert.Empty(t, got.Rejected, "declared values the module rejects")

	assert.ElementsMatch(t, got.BlobStatics, sortedKeys(d.shapes["Blob"].statics), "Blob static members")
	assert.ElementsMatch(t, append(got.BlobProto, got.BlobInstance...), members(t, d, "Blob"),
		"Blob prototype and instance members")
	assert.ElementsMatch(t, got.Stream, members(t, d, "BlobStream"), "Blob.stream() members")
	assert.ElementsMatch(t, got.Reader, members(t, d, "BlobStreamReader"), "stream reader members")
	assert.ElementsMatch(t, got.ReadResult, members(t, d, "BlobStreamReadResult"), "read() result fields")
}

// TestStockNamesAliasTheModules checks that k6's own module names are
// declared as the extension's modules, as register.go registers them.
func TestStockNamesAliasTheModules(t *testing.T) {
	t.Parallel()
	f := definitions(t)
	for alias, target := range map[string]string{
		"k6/ws":                      "k6/x/ws",
		"k6/websockets":              "k6/x/websockets",
		"k6/experimental/websockets": "k6/x/websockets",
	} {
		m := module(t, f, alias)
		assert.Equal(t, []string{target}, m.reexports, "%s re-exports everything of %s", alias, target)
		assert.Equal(t, target, m.defaultFrom, "%s re-exports the default export of %s", alias, target)
		assert.Empty(t, m.values, "%s declares nothing of its own", alias)
		assert.Empty(t, m.shapes, "%s declares nothing of its own", alias)
	}
	assert.Len(t, f.modules, 5, "the modules of index.d.ts: %v", sortedKeys(f.modules))
}

// TestUsageTypeChecks type-checks usage.ts against index.d.ts with tsc
// (`tsc -p .` in this directory), and usage-k6-types.ts against index.d.ts
// together with @types/k6 (`tsc -p tsconfig.k6-types.json`). It needs
// TypeScript and @types/k6: `cd types && npm ci` installs the pinned
// versions into types/node_modules.
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
			ctx, cancel := context.WithTimeout(context.Background(), tscTimeout)
			defer cancel()
			out, err := exec.CommandContext(ctx, tsc[0], append(tsc[1:], "-p", project)...).CombinedOutput()
			require.NoError(t, ctx.Err(), "tsc took longer than %s", tscTimeout)
			require.NoError(t, err, "tsc -p %s found errors:\n%s", project, out)
		})
	}
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
	if npx, err := exec.LookPath("npx"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), tscTimeout)
		defer cancel()
		if exec.CommandContext(ctx, npx, "--no-install", "tsc", "--version").Run() == nil {
			return []string{npx, "--no-install", "tsc"}
		}
	}
	t.Skip("tsc is not installed: run `cd types && npm ci` to install the pinned TypeScript")
	return nil
}

// propertyLiterals returns the string literals of the type of the property
// name of s, such as the allowed values of a union.
func (s *dtsShape) propertyLiterals(name string) ([]string, error) {
	decls, ok := s.members[name]
	if !ok {
		return nil, errors.New(s.name + " has no member " + name)
	}
	return stringLiterals(memberType(decls[0])), nil
}
