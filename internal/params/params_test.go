package params_test

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/lib"
	k6metrics "go.k6.io/k6/metrics"
	"go.uber.org/goleak"
	"gopkg.in/guregu/null.v3"

	"github.com/loadkit/xk6-ws/internal/params"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	socketAPI = params.Rules{Name: "ws.connect", Subprotocols: true}
	classAPI  = params.Rules{Name: "WebSocket", Strict: true}
)

func newState() *lib.State {
	registry := k6metrics.NewRegistry()
	return &lib.State{
		Options: lib.Options{UserAgent: null.StringFrom("k6-test")},
		Tags:    lib.NewVUStateTags(registry.RootTagSet().With("scenario", "default")),
	}
}

func parse(t *testing.T, js string, api params.Rules) (params.Params, error) {
	t.Helper()
	rt := sobek.New()
	rt.SetFieldNameMapper(common.FieldNameMapper{})
	v, err := rt.RunString("(" + js + ")")
	require.NoError(t, err)
	return params.Parse(rt, newState(), v, api)
}

func TestDefaultsComeFromTheVU(t *testing.T) {
	t.Parallel()
	for _, js := range []string{"undefined", "null", "{}"} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			p, err := parse(t, js, classAPI)
			require.NoError(t, err)
			assert.Equal(t, "k6-test", p.Options.Header.Get("User-Agent"))
			assert.Equal(t, "default", p.Tags.Tags.Map()["scenario"])
			assert.Zero(t, p.Options.HandshakeTimeout)
		})
	}
}

func TestEveryKey(t *testing.T) {
	t.Parallel()
	p, err := parse(t, `{
		headers: {"X-Token": "abc", "X-Num": 3, "X-Skip": null},
		tags: {room: "a"},
		compression: "deflate",
		subprotocols: ["chat", "json"],
		handshakeTimeout: "1500ms",
		closeTimeout: 250,
		maxMessageSize: 1024,
	}`, socketAPI)
	require.NoError(t, err)
	assert.Equal(t, "abc", p.Options.Header.Get("X-Token"))
	assert.Equal(t, "3", p.Options.Header.Get("X-Num"))
	assert.Empty(t, p.Options.Header.Values("X-Skip"))
	assert.Equal(t, "a", p.Tags.Tags.Map()["room"])
	assert.True(t, p.Options.Compression)
	assert.Equal(t, []string{"chat", "json"}, p.Options.Subprotocols)
	assert.Equal(t, 1500*time.Millisecond, p.Options.HandshakeTimeout)
	assert.Equal(t, 250*time.Millisecond, p.Options.CloseTimeout)
	assert.Equal(t, int64(1024), p.Options.MaxMessageSize)
}

func TestQueueLimits(t *testing.T) {
	t.Parallel()
	for _, api := range []params.Rules{socketAPI, classAPI} {
		t.Run(api.Name, func(t *testing.T) {
			t.Parallel()
			p, err := parse(t, `{writeQueueBytes: 4194304, readQueueBytes: 65536, readQueueMessages: 16}`, api)
			require.NoError(t, err)
			assert.Equal(t, 4<<20, p.Options.WriteQueueBytes)
			assert.Equal(t, 64<<10, p.Options.QueueBytes)
			assert.Equal(t, 16, p.Options.QueueMessages)
		})
	}
}

func TestBadQueueLimitsNameTheParamAndWhatIsAllowed(t *testing.T) {
	t.Parallel()
	for js, want := range map[string]string{
		`{writeQueueBytes: "1MB"}`:   `params.writeQueueBytes must be a number of bytes, got string "1MB"`,
		`{writeQueueBytes: 0}`:       "params.writeQueueBytes must be a whole number of bytes greater than zero, got 0",
		`{writeQueueBytes: -1}`:      "params.writeQueueBytes must be a whole number of bytes greater than zero, got -1",
		`{readQueueBytes: 1.5}`:      "params.readQueueBytes must be a whole number of bytes greater than zero, got 1.5",
		`{readQueueBytes: Infinity}`: "params.readQueueBytes must be a whole number of bytes greater than zero",
		`{readQueueMessages: {}}`:    "params.readQueueMessages must be a number of messages, got Object",
		`{readQueueMessages: NaN}`:   "params.readQueueMessages must be a whole number of messages greater than zero",
		`{readQueueMessages: 0}`:     "params.readQueueMessages must be a whole number of messages greater than zero",
	} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, js, classAPI)
			require.ErrorContains(t, err, "WebSocket: "+want)
		})
	}
}

func TestSingleSubprotocolString(t *testing.T) {
	t.Parallel()
	p, err := parse(t, `{subprotocols: "chat"}`, socketAPI)
	require.NoError(t, err)
	assert.Equal(t, []string{"chat"}, p.Options.Subprotocols)
}

func TestUnknownKeys(t *testing.T) {
	t.Parallel()
	_, err := parse(t, `{bogus: 1}`, socketAPI)
	require.NoError(t, err, "k6/ws ignores unknown keys, as k6 does")
	_, err = parse(t, `{bogus: 1}`, classAPI)
	require.ErrorContains(t, err, "unknown WebSocket's option bogus")
	_, err = parse(t, `{subprotocols: ["a"]}`, classAPI)
	require.ErrorContains(t, err, "unknown WebSocket's option subprotocols",
		"the WebSocket class takes protocols as its second argument")
}

func TestBadValuesNameTheKeyAndWhatIsAllowed(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`"str"`:                            "params must be an object, got string",
		`[1]`:                              "params must be an object, got Array",
		`{headers: "x"}`:                   "params.headers must be an object",
		`{headers: {a: {b: 1}}}`:           `params.headers["a"] must be a string`,
		`{compression: "gzip"}`:            "supported algorithm is 'deflate'",
		`{handshakeTimeout: "soon"}`:       `params.handshakeTimeout must be a duration such as "1s"`,
		`{handshakeTimeout: -5}`:           "params.handshakeTimeout must be greater than zero",
		`{handshakeTimeout: "0s"}`:         "params.handshakeTimeout must be greater than zero",
		`{closeTimeout: true}`:             "params.closeTimeout must be a duration string",
		`{closeTimeout: Infinity}`:         "params.closeTimeout must be a finite number",
		`{maxMessageSize: "big"}`:          "params.maxMessageSize must be a number of bytes, got string",
		`{maxMessageSize: 0}`:              "params.maxMessageSize must be a whole number of bytes greater than zero",
		`{maxMessageSize: 1.5}`:            "params.maxMessageSize must be a whole number",
		`{maxMessageSize: NaN}`:            "params.maxMessageSize must be a whole number",
		`{subprotocols: 3}`:                "params.subprotocols must be a string or an array of strings, got number 3",
		`{subprotocols: [1]}`:              "params.subprotocols[0] must be a string, got number 1",
		`{subprotocols: ["a b"]}`:          `"a b" is not a valid subprotocol name`,
		`{subprotocols: [""]}`:             `"" is not a valid subprotocol name`,
		`{subprotocols: ["a", "a"]}`:       `subprotocol "a" is given twice`,
		`{jar: {}}`:                        "params.jar must be a CookieJar from k6/http",
		`{tags: "x"}`:                      "invalid params.tags",
		`{subprotocols: {length: 1e300}}`:  "params.subprotocols must be a string or an array of strings, got Object",
		`{handshakeTimeout: function(){}}`: "got function",
	}
	for js, want := range cases {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, js, socketAPI)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "ws.connect: ")
			assert.Contains(t, err.Error(), want)
		})
	}
}

// TestBadValuesQuoteAPrefix: an error quotes at most the first 32
// characters of a value the script gave, and says how long it was.
func TestBadValuesQuoteAPrefix(t *testing.T) {
	t.Parallel()
	a32 := strings.Repeat("a", 32)
	for js, want := range map[string]string{
		`{handshakeTimeout: "a".repeat(1000000)}`:                  `params.handshakeTimeout must be a duration such as "1s" or "500ms", got "` + a32 + `…" (1000000 characters)`,
		`{subprotocols: ["a b".repeat(100000)]}`:                   `params.subprotocols: "` + strings.Repeat("a b", 11)[:32] + `…" (300000 characters) is not a valid subprotocol name`,
		`{subprotocols: ["a".repeat(100000), "a".repeat(100000)]}`: `subprotocol "` + a32 + `…" (100000 characters) is given twice`,
		`{headers: {["a".repeat(100000)]: {}}}`:                    `params.headers["` + a32 + `…" (100000 characters)] must be a string`,
		`{maxMessageSize: "a".repeat(1000000)}`:                    `params.maxMessageSize must be a number of bytes, got string of 1000000 characters starting "` + a32 + `…"`,
	} {
		t.Run(js[:20], func(t *testing.T) {
			t.Parallel()
			_, err := parse(t, js, socketAPI)
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
			assert.Less(t, len(err.Error()), 300, "the error quotes a prefix: %.300s", err)
		})
	}
}

func TestNullishValuesKeepDefaults(t *testing.T) {
	t.Parallel()
	p, err := parse(t, `{headers: null, jar: null, compression: null, subprotocols: undefined,
		handshakeTimeout: null, closeTimeout: undefined, maxMessageSize: null,
		writeQueueBytes: null, readQueueBytes: undefined, readQueueMessages: null}`, socketAPI)
	require.NoError(t, err)
	assert.False(t, p.Options.Compression)
	assert.Nil(t, p.Options.Subprotocols)
	assert.Zero(t, p.Options.MaxMessageSize)
	assert.Zero(t, p.Options.WriteQueueBytes)
	assert.Zero(t, p.Options.QueueBytes)
	assert.Zero(t, p.Options.QueueMessages)
}

// FuzzParse feeds arbitrary JSON documents as params: Parse may refuse them
// but must never panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{}`, `null`, `{"headers":{"a":"b"}}`, `{"subprotocols":["a","b"]}`, `{"handshakeTimeout":"1s"}`,
		`{"maxMessageSize":1e400}`, `{"closeTimeout":-1}`, `{"tags":{"a":{"b":1}}}`, `[1,2]`, `"s"`,
		`{"subprotocols":{"length":5}}`, `{"compression":" deflate "}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		rt := sobek.New()
		rt.SetFieldNameMapper(common.FieldNameMapper{})
		if err := rt.Set("doc", doc); err != nil {
			t.Fatal(err)
		}
		v, err := rt.RunString(`(function(){ try { return JSON.parse(doc) } catch (e) { return doc } })()`)
		if err != nil {
			t.Fatal(err)
		}
		for _, api := range []params.Rules{socketAPI, classAPI} {
			_, _ = params.Parse(rt, newState(), v, api)
		}
	})
}
