package jsval_test

import (
	"strings"
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/jsval"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func run(t *testing.T, rt *sobek.Runtime, js string) sobek.Value {
	t.Helper()
	v, err := rt.RunString(js)
	require.NoError(t, err, js)
	return v
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	for js, want := range map[string]string{
		`undefined`:                        "undefined",
		`null`:                             "null",
		`"a"`:                              `string "a"`,
		`2.5`:                              "number 2.5",
		`7`:                                "number 7",
		`true`:                             "boolean true",
		`Symbol("s")`:                      "symbol",
		`12n`:                              "bigint 12",
		`[1]`:                              "Array",
		`({})`:                             "Object",
		`new Uint8Array(2)`:                "Uint8Array",
		`new DataView(new ArrayBuffer(1))`: "DataView",
		`Object.create(null)`:              "object",
		`(function(){})`:                   "function",
		`new (class Thing {})()`:           "Thing",
	} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			rt := sobek.New()
			assert.Equal(t, want, jsval.Describe(run(t, rt, js)))
		})
	}
	assert.Equal(t, "undefined", jsval.Describe(nil), "a missing argument")
}

// TestDescribeCutsLongValues: a long string or bigint is described by its
// length and its first characters, never quoted whole.
func TestDescribeCutsLongValues(t *testing.T) {
	t.Parallel()
	for js, want := range map[string]string{
		`"a".repeat(32)`:      `string "` + strings.Repeat("a", 32) + `"`,
		`"a".repeat(1000000)`: `string of 1000000 characters starting "` + strings.Repeat("a", 32) + `…"`,
		`"é".repeat(40)`:      `string of 40 characters starting "` + strings.Repeat("é", 32) + `…"`,
		`10n ** 31n`:          "bigint 1" + strings.Repeat("0", 31),
		`10n ** 99n`:          "bigint of 100 digits starting 1" + strings.Repeat("0", 31) + "…",
	} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, want, jsval.Describe(run(t, sobek.New(), js)))
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `"ws://a\n"`, jsval.Quote("ws://a\n"))
	assert.Equal(t, `"`+strings.Repeat("b", 32)+`"`, jsval.Quote(strings.Repeat("b", 32)))
	assert.Equal(t, `"`+strings.Repeat("b", 32)+`…" (1000000 characters)`, jsval.Quote(strings.Repeat("b", 1000000)))
	assert.Equal(t, `"`+strings.Repeat("ü", 32)+`…" (33 characters)`, jsval.Quote(strings.Repeat("ü", 33)))
}

// TestTypeName checks the names k6's own errors give types, as in
// "expected ArrayBuffer as argument, received: String".
func TestTypeName(t *testing.T) {
	t.Parallel()
	for js, want := range map[string]string{
		`undefined`:              "undefined",
		`null`:                   "null",
		`"abc"`:                  "String",
		`"a".repeat(1000000)`:    "String",
		`3.5`:                    "Number",
		`7`:                      "Number",
		`true`:                   "Boolean",
		`Symbol("s")`:            "Symbol",
		`12n`:                    "BigInt",
		`({})`:                   "Object",
		`[1, 2]`:                 "Array",
		`new Uint8Array(2)`:      "Uint8Array",
		`(function(){})`:         "Function",
		`Object.create(null)`:    "Object",
		`new (class Thing {})()`: "Thing",
	} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, want, jsval.TypeName(run(t, sobek.New(), js)))
		})
	}
	assert.Equal(t, "undefined", jsval.TypeName(nil), "a missing argument")
}

func TestDescribeRunsNoGetter(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	v := run(t, rt, `globalThis.read = false; ({get data() { globalThis.read = true; return 1; }})`)
	assert.Equal(t, "Object", jsval.Describe(v))
	assert.False(t, rt.Get("read").ToBoolean())
}

func TestIsArrayAndIsView(t *testing.T) {
	t.Parallel()
	for js, want := range map[string][2]bool{
		`[]`:                                  {true, false},
		`new Array(3)`:                        {true, false},
		`new Proxy([], {})`:                   {true, false},
		`({length: 0})`:                       {false, false},
		`"abc"`:                               {false, false},
		`undefined`:                           {false, false},
		`new Uint8Array(1)`:                   {false, true},
		`new Float64Array(1)`:                 {false, true},
		`new DataView(new ArrayBuffer(2))`:    {false, true},
		`new ArrayBuffer(2)`:                  {false, false},
		`Object.create(Uint8Array.prototype)`: {false, false},
	} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			rt := sobek.New()
			v := run(t, rt, js)
			assert.Equal(t, want[0], jsval.IsArray(rt, v), "IsArray")
			assert.Equal(t, want[1], jsval.IsView(rt, v), "IsView")
		})
	}
}

func TestBytesOfBuffersAndViews(t *testing.T) {
	t.Parallel()
	const setup = `var ab = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]).buffer;`
	for js, want := range map[string][]byte{
		`ab`:                             {0, 1, 2, 3, 4, 5, 6, 7},
		`new ArrayBuffer(0)`:             {},
		`new Uint8Array(ab)`:             {0, 1, 2, 3, 4, 5, 6, 7},
		`new Uint8Array(ab, 3)`:          {3, 4, 5, 6, 7},
		`new Int8Array(ab, 1, 2)`:        {1, 2},
		`new Uint16Array(ab, 2, 2)`:      {2, 3, 4, 5},
		`new Int32Array(ab, 4, 1)`:       {4, 5, 6, 7},
		`new Float64Array(ab)`:           {0, 1, 2, 3, 4, 5, 6, 7},
		`new BigUint64Array(ab)`:         {0, 1, 2, 3, 4, 5, 6, 7},
		`new Uint8ClampedArray(ab, 8)`:   {},
		`new DataView(ab, 5, 2)`:         {5, 6},
		`new Uint8Array(ab).subarray(6)`: {6, 7},
	} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			rt := sobek.New()
			got, ok := jsval.Bytes(rt, run(t, rt, setup+js))
			require.True(t, ok)
			assert.Equal(t, want, append([]byte{}, got...))
		})
	}
}

func TestBytesSharesTheBuffer(t *testing.T) {
	t.Parallel()
	rt := sobek.New()
	v := run(t, rt, `var u = new Uint8Array(4); u`)
	got, ok := jsval.Bytes(rt, v)
	require.True(t, ok)
	run(t, rt, `u[1] = 9`)
	assert.Equal(t, []byte{0, 9, 0, 0}, got)
}

func TestBytesRefusesOtherValues(t *testing.T) {
	t.Parallel()
	for _, js := range []string{
		`undefined`, `null`, `"bytes"`, `42`, `[1, 2, 3]`, `({})`, `({buffer: new ArrayBuffer(4), byteOffset: 0, byteLength: 4})`,
		`new Proxy(new Uint8Array(4), {})`, `Object.create(Uint8Array.prototype)`, `new Blobish()`,
	} {
		t.Run(js, func(t *testing.T) {
			t.Parallel()
			rt := sobek.New()
			v := run(t, rt, `function Blobish() {}; `+js)
			got, ok := jsval.Bytes(rt, v)
			assert.False(t, ok)
			assert.Nil(t, got)
		})
	}
	_, ok := jsval.Bytes(sobek.New(), nil)
	assert.False(t, ok, "a missing argument")
}

// TestBytesOfHostileViews redefines the properties Bytes reads: whatever
// they say, it neither panics nor reads outside the buffer.
func TestBytesOfHostileViews(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		redefine string
		want     []byte // nil: refused
	}{
		"byteOffset 2^62":         {`byteOffset: {value: 2 ** 62}`, nil},
		"byteLength 2^62":         {`byteLength: {value: 2 ** 62}`, nil},
		"both 2^62":               {`byteOffset: {value: 2 ** 62}, byteLength: {value: 2 ** 62}`, nil},
		"offset 2^63-1, length 2": {`byteOffset: {value: 9223372036854775807}, byteLength: {value: 2}`, nil},
		"length 2^64":             {`byteLength: {value: 2 ** 64}`, nil},
		"offset at the end":       {`byteOffset: {value: 8}, byteLength: {value: 0}`, []byte{}},
		"length past the end":     {`byteOffset: {value: 7}, byteLength: {value: 2}`, nil},
		"negative offset":         {`byteOffset: {value: -1}`, nil},
		"negative length":         {`byteLength: {value: -3}`, nil},
		"NaN":                     {`byteLength: {value: NaN}`, nil},
		"Infinity":                {`byteOffset: {value: Infinity}`, nil},
		"fraction":                {`byteLength: {value: 1.5}`, nil},
		"string numbers":          {`byteOffset: {value: "1"}, byteLength: {value: "2"}`, []byte{1, 2}},
		"object with valueOf":     {`byteLength: {value: {valueOf() { return 3; }}}`, []byte{0, 1, 2}},
		"getter":                  {`byteOffset: {get() { return 6; }}, byteLength: {get() { return 2; }}`, []byte{6, 7}},
		"buffer not a buffer":     {`buffer: {value: [1, 2, 3]}`, nil},
		"buffer of another size":  {`buffer: {value: new ArrayBuffer(2)}`, nil},
		"buffer undefined":        {`buffer: {value: undefined}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rt := sobek.New()
			v := run(t, rt, `const u = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
				Object.defineProperties(u, {`+tc.redefine+`}); u`)
			got, ok := jsval.Bytes(rt, v)
			if tc.want == nil {
				assert.False(t, ok, "refused")
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, append([]byte{}, got...))
		})
	}
}
