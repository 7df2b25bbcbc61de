package websockets

import (
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blobPrelude adds helpers for Blob tests: hex of a Blob's bytes.
const blobPrelude = `
const hex = (buf) => Array.from(new Uint8Array(buf)).map((b) => b.toString(16).padStart(2, "0")).join("");
const contents = async (blob) => hex(await blob.arrayBuffer());
`

func runBlob(t *testing.T, code string) {
	t.Helper()
	e := newEnv(t)
	e.mustRun(blobPrelude + "(async () => {" + code + "})().then(() => { globalThis.done = true; });")
	require.Equal(t, true, e.get("done"), "the script ran to its end")
}

func TestBlobFromParts(t *testing.T) {
	t.Parallel()
	const setup = `const ab = new Uint8Array([0x50, 0x41, 0x53, 0x53]).buffer;`
	for _, tc := range []struct{ name, blob, want string }{
		{"no parts", `new Blob()`, ""},
		{"empty array", `new Blob([])`, ""},
		{"string", `new Blob(["PASS"])`, "50415353"},
		{"strings", `new Blob(["P", "A", "SS"])`, "50415353"},
		{"utf-8", `new Blob(["é"])`, "c3a9"},
		{"ArrayBuffer", `new Blob([ab])`, "50415353"},
		{"Uint8Array", `new Blob([new Uint8Array(ab)])`, "50415353"},
		{"Int8Array", `new Blob([new Int8Array(ab)])`, "50415353"},
		{"Uint8ClampedArray", `new Blob([new Uint8ClampedArray(ab)])`, "50415353"},
		{"Int16Array", `new Blob([new Int16Array([0x4150, 0x5353])])`, "50415353"},
		{"Uint16Array", `new Blob([new Uint16Array([0x4150, 0x5353])])`, "50415353"},
		{"Int32Array", `new Blob([new Int32Array([0x53534150])])`, "50415353"},
		{"Uint32Array", `new Blob([new Uint32Array([0x53534150])])`, "50415353"},
		{"Float32Array", `new Blob([new Float32Array(ab)])`, "50415353"},
		{"Float64Array", `new Blob([new Float64Array(new Uint8Array(8).fill(1).buffer)])`, "0101010101010101"},
		{"view with offset", `new Blob([new Uint8Array(ab, 1, 2)])`, "4153"},
		{"DataView with offset", `new Blob([new DataView(ab, 2)])`, "5353"},
		{"Blob", `new Blob([new Blob(["PA"]), "SS"])`, "50415353"},
		{"numbers become strings", `new Blob([1, 2.5])`, "31322e35"},
		{"objects become strings", `new Blob([{}])`, hex.EncodeToString([]byte("[object Object]"))},
		{"iterable", `new Blob(new Set(["P", "A"]))`, "5041"},
		{"native endings", `new Blob(["a\r\nb\rc\n"], {endings: "native"})`, "610a620a630a"},
		{"transparent endings", `new Blob(["a\r\n"], {endings: "transparent"})`, "610d0a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runBlob(t, setup+`
			const blob = `+tc.blob+`;
			eq(await contents(blob), "`+tc.want+`", "bytes");
			eq(blob.size, `+strconv.Itoa(len(tc.want)/2)+`, "size");
			`)
		})
	}
}

func TestBlobConstructorErrors(t *testing.T) {
	t.Parallel()
	runBlob(t, `
	throwsWith(() => new Blob("abc"), "blobParts must be an array", "string parts");
	throwsWith(() => new Blob(3), "got number 3", "number parts");
	throwsWith(() => new Blob({}), "got Object", "object parts");
	throwsWith(() => new Blob(null), "got null", "null parts");
	throwsWith(() => new Blob([], "text/plain"), "options must be an object", "string options");
	throwsWith(() => new Blob([], {endings: "unix"}), 'options.endings must be "transparent" or "native"', "endings");
	`)
}

func TestBlobTypeAndIdentity(t *testing.T) {
	t.Parallel()
	runBlob(t, `
	const b = new Blob(["x"], {type: "Text/Plain;Charset=UTF-8"});
	eq(b.type, "text/plain;charset=utf-8", "type is lower-cased");
	eq(new Blob(["x"], {type: "text/é"}).type, "", "non-ASCII type is dropped");
	eq(new Blob(["x"], {type: "a\u0001"}).type, "", "control characters drop the type");
	eq(new Blob(["x"]).type, "", "default type");
	eq(new Blob(["x"], null).type, "", "null options");
	assert(b instanceof Blob, "instanceof Blob");
	eq(Object.prototype.toString.call(b), "[object Blob]", "toString tag");
	eq(String(b), "[object Blob]", "String()");
	b.size = 10;
	eq(b.size, 1, "size is read-only");
	`)
}

func TestBlobReaders(t *testing.T) {
	t.Parallel()
	runBlob(t, `
	const b = new Blob(["P", "A", "SS"]);
	const text = b.text();
	assert(text instanceof Promise, "text() returns a promise");
	eq(await text, "PASS", "text");
	eq(await new Blob([new Uint8Array([0xef, 0xbb, 0xbf, 0x41])]).text(), "A", "BOM dropped");
	eq(await new Blob([new Uint8Array([0x41, 0xff, 0x42])]).text(), "A\ufffdB", "invalid UTF-8 replaced");

	const ab = await b.arrayBuffer();
	assert(ab instanceof ArrayBuffer, "arrayBuffer");
	new Uint8Array(ab)[0] = 0x58;
	eq(await b.text(), "PASS", "the ArrayBuffer is a copy");

	const bytes = await b.bytes();
	assert(bytes instanceof Uint8Array, "bytes() is a Uint8Array");
	eq(hex(bytes.buffer), "50415353", "bytes");
	bytes[0] = 0x58;
	eq(await b.text(), "PASS", "bytes() is a copy");
	`)
}

func TestBlobSlice(t *testing.T) {
	t.Parallel()
	const setup = `const b = new Blob(["PASS"], {type: "text/plain"});`
	// Some of these crash k6 v1.8.1; here each is a plain value, and the
	// script runs to its end.
	for _, tc := range []struct{ name, slice, want string }{
		{"slice()", `b.slice()`, "PASS"},
		{"slice(1)", `b.slice(1)`, "ASS"},
		{"slice(0, 1)", `b.slice(0, 1)`, "P"},
		{"slice(-1)", `b.slice(-1)`, "S"},
		{"slice(-100)", `b.slice(-100)`, "PASS"},
		{"slice(1, -1)", `b.slice(1, -1)`, "AS"},
		{"slice(5, 2)", `b.slice(5, 2)`, ""},
		{"slice(3, 1)", `b.slice(3, 1)`, ""},
		{"slice(0, 1e9)", `b.slice(0, 1e9)`, "PASS"},
		{"slice(1e9)", `b.slice(1e9)`, ""},
		{"slice(NaN)", `b.slice(NaN)`, "PASS"},
		{"slice(NaN, NaN)", `b.slice(NaN, NaN)`, ""},
		{"slice(0, Infinity)", `b.slice(0, Infinity)`, ""},
		{"slice(1.9, 3.9)", `b.slice(1.9, 3.9)`, "AS"},
		{"slice(2**63) wraps to a negative", `b.slice(2 ** 63)`, "PASS"},
		{"slice(-(2**64)) wraps to 0", `b.slice(-(2 ** 64))`, "PASS"},
		{"slice(2**64 + 4096) wraps to 4096", `b.slice(2 ** 64 + 4096)`, ""},
		{"slice(-(2**64) - 4096, 2) wraps to -4096", `b.slice(-(2 ** 64) - 4096, 2)`, "PA"},
		{"slice(undefined, 2)", `b.slice(undefined, 2)`, "PA"},
		{"slice('1', '3')", `b.slice("1", "3")`, "AS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runBlob(t, setup+`
			const part = `+tc.slice+`;
			assert(part instanceof Blob, "a Blob");
			eq(await part.text(), "`+tc.want+`", "text");
			eq(part.size, `+strconv.Itoa(len(tc.want))+`, "size");
			eq(part.type, "", "type");
			`)
		})
	}
	t.Run("contentType and slice of a slice", func(t *testing.T) {
		t.Parallel()
		runBlob(t, setup+`
		eq(b.slice(0, 1, "Image/PNG").type, "image/png", "contentType");
		eq(await b.slice(1, 3).slice(1).text(), "S", "slice of a slice");
		`)
	})
}

func TestBlobStream(t *testing.T) {
	t.Parallel()
	runBlob(t, `
	const big = new Uint8Array(150 * 1024).map((_, i) => i % 251);
	const b = new Blob(["head", big]);
	const stream = b.stream();
	eq(stream.locked, false, "not locked");
	const reader = stream.getReader();
	eq(stream.locked, true, "locked");
	throwsWith(() => stream.getReader(), "already locked", "second reader");
	const chunks = [];
	for (;;) {
		const {value, done} = await reader.read();
		if (done) { eq(value, undefined, "no value when done"); break; }
		assert(value instanceof Uint8Array, "chunks are Uint8Arrays");
		chunks.push(value);
	}
	assert(chunks.length > 1, "a big blob comes in several chunks");
	const total = chunks.reduce((n, c) => n + c.length, 0);
	eq(total, b.size, "every byte is read");
	const joined = new Uint8Array(total);
	let at = 0;
	for (const c of chunks) { joined.set(c, at); at += c.length; }
	eq(hex(joined.buffer), await contents(b), "the bytes in order");
	eq(b.size, 4 + big.length, "reading does not consume the blob");
	reader.releaseLock();
	eq(stream.locked, false, "released");
	throwsWith(() => reader.read(), "lock was released", "read after releaseLock");
	const small = new Blob(["PASS"]).stream().getReader();
	eq(String.fromCharCode(...(await small.read()).value), "PASS", "small blob in one chunk");
	await small.cancel();
	eq((await small.read()).done, true, "done after cancel");
	`)
}

func TestReceivedBinaryIsABlobThatCanBeSentBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun(blobPrelude + `
	const ws = new WebSocket(WS_URL + "/echo");
	let round = 0;
	ws.onopen = () => ws.send(new Uint8Array([1, 2, 3, 250]));
	ws.onmessage = async (ev) => {
		assert(ev.data instanceof Blob, "binary data is a Blob by default");
		eq(ev.data.size, 4, "size");
		eq(await contents(ev.data), "010203fa", "round " + round);
		if (++round === 1) {
			ws.send(ev.data);
			return;
		}
		ws.binaryType = "arraybuffer";
		ws.send(ev.data.slice(1, 3));
		ws.onmessage = (ev2) => {
			assert(ev2.data instanceof ArrayBuffer, "arraybuffer binaryType");
			eq(hex(ev2.data), "0203", "sliced blob echoed");
			ws.close();
		};
	};
	ws.onclose = () => { globalThis.rounds = round; };
	`)
	assert.EqualValues(t, 2, e.get("rounds"))
}
