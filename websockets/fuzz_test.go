package websockets

import (
	"bytes"
	"math"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

// The fuzz targets check the argument validation of the WebSocket class and
// Blob: whatever a script passes, the result is either accepted and valid,
// or a clear error; nothing panics. Their seed corpora are under
// testdata/fuzz; `make fuzz` runs each for a bounded time.

// FuzzParseURL feeds any string to the url check of new WebSocket: an
// accepted URL is an absolute ws:// or wss:// URL (http:// and https://
// become them) with a host and no fragment, and a refused one gets a
// SyntaxError naming it.
func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{
		"ws://127.0.0.1:8080/echo", "wss://example.com/a?b=c", "http://example.com/", "ws://", "ws:///echo",
		"ws://h/#", "ws://h/#frag", "ws://[::1", "ws://[::1]:80/", "WS://Host/", "ws://h/%zz", "ws://u:p@h/",
		"//h/echo", "", " ws://h/", "ws://h\x00/", "ws://h:99999/", "ws://ü.example/ä", "wss://h:443",
	} {
		f.Add(seed)
	}
	rt := sobek.New()
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := parseURL(rt.ToValue(raw))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "SyntaxError: WebSocket: url ") {
				t.Fatalf("parseURL(%q): the error must be a SyntaxError naming the url: %v", raw, err)
			}
			return
		}
		u, perr := url.Parse(got)
		switch {
		case perr != nil:
			t.Fatalf("parseURL(%q) accepted %q, which does not parse: %v", raw, got, perr)
		case u.Scheme != "ws" && u.Scheme != "wss":
			t.Fatalf("parseURL(%q) accepted %q with scheme %q", raw, got, u.Scheme)
		case u.Host == "":
			t.Fatalf("parseURL(%q) accepted %q without a host", raw, got)
		case strings.Contains(raw, "#") || u.Fragment != "":
			t.Fatalf("parseURL(%q) accepted %q with a fragment", raw, got)
		}
	})
}

// FuzzCloseArgs feeds any code (as a number and as a string) and reason to
// the checks of WebSocket.close: an accepted code is 1000 or 3000-4999, an
// accepted reason is valid UTF-8 of at most 123 bytes, and anything else is
// refused with the DOMException name the standard gives.
func FuzzCloseArgs(f *testing.F) {
	for _, seed := range []struct {
		code     float64
		codeText string
		reason   string
	}{
		{1000, "1000", ""}, {3000, "4999", "bye"}, {999, "abc", "é"}, {1001, "1001.5", strings.Repeat("x", 123)},
		{4999.5, "0x3e8", strings.Repeat("x", 124)}, {65536 + 1000, "-1", "\xff\xfe"}, {-1, "", strings.Repeat("é", 62)},
		{math.Inf(1), "Infinity", "\x00"}, {math.NaN(), "NaN", "\ud7ff"}, {2999.5, " 3000 ", strings.Repeat("é", 61)},
	} {
		f.Add(seed.code, seed.codeText, seed.reason)
	}
	rt := sobek.New()
	f.Fuzz(func(t *testing.T, code float64, codeText, reason string) {
		for _, v := range []sobek.Value{rt.ToValue(code), rt.ToValue(codeText)} {
			got, err := closeCode(v)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "InvalidAccessError: ") {
					t.Fatalf("closeCode(%v): not an InvalidAccessError: %v", v, err)
				}
				continue
			}
			if got != conn.CloseNormal && (got < 3000 || got > 4999) {
				t.Fatalf("closeCode(%v) accepted %d", v, got)
			}
		}
		got, err := closeReason(rt.ToValue(reason))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "SyntaxError: ") || !strings.Contains(err.Error(), "123 bytes") {
				t.Fatalf("closeReason(%q): the error must be a SyntaxError giving the limit: %v", reason, err)
			}
			return
		}
		if len(got) > conn.MaxCloseReason || !utf8.ValidString(got) {
			t.Fatalf("closeReason(%q) accepted %q: %d bytes, valid UTF-8: %t", reason, got, len(got), utf8.ValidString(got))
		}
		if utf8.ValidString(reason) && got != reason {
			t.Fatalf("closeReason(%q) changed a valid reason to %q", reason, got)
		}
	})
}

// FuzzBlobSlice slices a Blob of any bytes with any bounds through the
// script API, and compares the result with the File API's slice algorithm
// computed with exact integers: bounds converted as WebIDL's long long
// (NaN and infinities 0, truncated, modulo 2^64), negative ones counted
// from the end, all clamped to the blob.
func FuzzBlobSlice(f *testing.F) {
	for _, seed := range []struct {
		data       []byte
		start, end float64
	}{
		{[]byte("PASS"), 0, 4}, {[]byte("PASS"), -1, 4}, {[]byte("PASS"), 5, 2}, {[]byte("PASS"), 0, 1e9},
		{[]byte("PASS"), math.NaN(), math.Inf(1)}, {[]byte("PASS"), 1.9, 3.9}, {[]byte("PASS"), math.Pow(2, 63), 4},
		{[]byte("PASS"), -math.Pow(2, 64) - 4096, 2}, {[]byte{}, -1, 1}, {[]byte("0123456789"), 3, -3},
		{[]byte("0123456789"), math.Copysign(0, -1), -1e20},
	} {
		f.Add(seed.data, seed.start, seed.end)
	}
	vu := wstest.NewVU(f, New(), "")
	rt := vu.VU.Runtime()
	sliceOf, err := rt.RunString(`(function (data, start, end) {
		const part = new Blob([data]).slice(start, end);
		return { size: part.size, bytes: part.bytes() };
	})`)
	if err != nil {
		f.Fatal(err)
	}
	slice, ok := sobek.AssertFunction(sliceOf)
	if !ok {
		f.Fatal("the slicing script is not a function")
	}
	f.Fuzz(func(t *testing.T, data []byte, start, end float64) {
		res, err := slice(sobek.Undefined(), rt.ToValue(rt.NewArrayBuffer(bytes.Clone(data))), rt.ToValue(start), rt.ToValue(end))
		if err != nil {
			t.Fatalf("slice(%v, %v) of %d bytes threw: %v", start, end, len(data), err)
		}
		from, to := sliceBound(start, len(data)), sliceBound(end, len(data))
		want := []byte{}
		if to > from {
			want = data[from:to]
		}
		obj := res.ToObject(rt)
		if size := obj.Get("size").ToInteger(); size != int64(len(want)) {
			t.Fatalf("slice(%v, %v) of %d bytes: size %d, want %d", start, end, len(data), size, len(want))
		}
		got := promisedBytes(t, rt, obj.Get("bytes"))
		if !bytes.Equal(got, want) {
			t.Fatalf("slice(%v, %v) of %q: %q, want %q", start, end, data, got, want)
		}
	})
}

// sliceBound is the File API's resolution of a slice bound, computed on
// exact integers.
func sliceBound(v float64, size int) int {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	i, _ := big.NewFloat(math.Trunc(v)).Int(nil)
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	i.Mod(i, two64) // Euclidean: in [0, 2^64)
	if i.Cmp(new(big.Int).Rsh(two64, 1)) >= 0 {
		i.Sub(i, two64)
	}
	n := big.NewInt(int64(size))
	if i.Sign() < 0 {
		i.Add(i, n)
		if i.Sign() < 0 {
			return 0
		}
		return int(i.Int64())
	}
	if i.Cmp(n) > 0 {
		return size
	}
	return int(i.Int64())
}

// promisedBytes returns the Uint8Array that an already settled promise
// holds.
func promisedBytes(t *testing.T, rt *sobek.Runtime, v sobek.Value) []byte {
	t.Helper()
	p, ok := v.Export().(*sobek.Promise)
	if !ok || p.State() != sobek.PromiseStateFulfilled {
		t.Fatalf("bytes() did not return a fulfilled promise: %v", v)
	}
	arr := p.Result().ToObject(rt)
	buf, ok := arr.Get("buffer").Export().(sobek.ArrayBuffer)
	if !ok {
		t.Fatalf("bytes() did not give a Uint8Array: %v", p.Result())
	}
	return buf.Bytes()[arr.Get("byteOffset").ToInteger():][:arr.Get("byteLength").ToInteger()]
}
