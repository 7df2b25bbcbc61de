package jsval_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/internal/jsval"
)

// viewKinds are the views FuzzBytes builds, with their element sizes.
var viewKinds = []struct {
	ctor string
	size int
}{
	{"Uint8Array", 1}, {"Int8Array", 1}, {"Uint8ClampedArray", 1}, {"Uint16Array", 2}, {"Int32Array", 4},
	{"Float32Array", 4}, {"Float64Array", 8}, {"BigInt64Array", 8}, {"DataView", 1},
}

// FuzzBytes builds any typed array or DataView over any bytes, then may
// redefine its byteOffset and byteLength to any number, hostile ones
// included (2^62, negative, NaN, fractions). Bytes must never panic; an
// untouched view gives exactly the bytes it covers; a redefined one gives
// the bytes the redefined numbers name when they fit in the buffer, and is
// refused otherwise. The seed corpus is under testdata/fuzz/FuzzBytes.
func FuzzBytes(f *testing.F) {
	for _, seed := range []struct {
		data          []byte
		kind          uint8
		off, size     uint16
		redefine      uint8
		fakeOff, fake float64
	}{
		{[]byte("0123456789"), 0, 0, 10, 0, 0, 0},
		{[]byte("0123456789"), 3, 2, 4, 0, 0, 0},
		{[]byte("0123456789"), 8, 1, 3, 0, 0, 0},
		{[]byte("0123456789"), 0, 2, 3, 1, math.Pow(2, 62), 0},
		{[]byte("0123456789"), 0, 2, 3, 2, 0, math.Pow(2, 62)},
		{[]byte("0123456789"), 0, 2, 3, 3, math.Pow(2, 62), math.Pow(2, 62)},
		{[]byte("0123456789"), 4, 0, 2, 3, math.MaxInt64, 2},
		{[]byte("0123456789"), 0, 0, 0, 3, -1, math.NaN()},
		{[]byte("0123456789"), 0, 0, 0, 3, 2.5, math.Inf(1)},
		{[]byte("0123456789"), 0, 0, 0, 3, 10, 0},
		{[]byte{}, 0, 0, 0, 0, 0, 0},
	} {
		f.Add(seed.data, seed.kind, seed.off, seed.size, seed.redefine, seed.fakeOff, seed.fake)
	}
	rt := sobek.New()
	build, err := rt.RunString(`(function (buf, ctor, off, size, redefine, fakeOff, fakeLen) {
		const view = new globalThis[ctor](buf, off, size);
		if (redefine & 1) { Object.defineProperty(view, "byteOffset", {value: fakeOff}); }
		if (redefine & 2) { Object.defineProperty(view, "byteLength", {value: fakeLen}); }
		return view;
	})`)
	if err != nil {
		f.Fatal(err)
	}
	newView, ok := sobek.AssertFunction(build)
	if !ok {
		f.Fatal("the view builder is not a function")
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, off, size uint16, redefine uint8, fakeOff, fakeLen float64) {
		k := viewKinds[int(kind)%len(viewKinds)]
		redefine %= 4
		view, err := newView(sobek.Undefined(), rt.ToValue(rt.NewArrayBuffer(bytes.Clone(data))), rt.ToValue(k.ctor),
			rt.ToValue(off), rt.ToValue(size), rt.ToValue(redefine), rt.ToValue(fakeOff), rt.ToValue(fakeLen))
		if err != nil {
			return // out of the buffer, or misaligned: JavaScript itself refuses the view
		}
		start, n := float64(off), float64(int(size)*k.size)
		if redefine&1 != 0 {
			start = fakeOff
		}
		if redefine&2 != 0 {
			n = fakeLen
		}
		got, ok := jsval.Bytes(rt, view)
		fits := start >= 0 && n >= 0 && start == math.Trunc(start) && n == math.Trunc(n) && start+n <= float64(len(data))
		switch {
		case ok != fits:
			t.Fatalf("a %s at %v of %v bytes over %d bytes: ok %t, want %t", k.ctor, start, n, len(data), ok, fits)
		case ok && !bytes.Equal(got, data[int(start):int(start+n)]):
			t.Fatalf("a %s at %v of %v bytes over %q: %q", k.ctor, start, n, data, got)
		}
	})
}
