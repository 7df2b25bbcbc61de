package websockets

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"

	"github.com/loadkit/xk6-ws/internal/jsval"
)

// streamChunk is the largest chunk a Blob's stream hands out at once.
const streamChunk = 64 << 10

// blob is the Go side of a Blob: immutable bytes and a MIME type.
type blob struct {
	data []byte
	typ  string
}

// defineBlob builds the Blob class's prototype.
func (m *module) defineBlob() error {
	proto := &props{rt: m.rt, obj: m.blobProto}
	proto.tag("Blob")
	proto.accessor("size", func(c sobek.FunctionCall) sobek.Value {
		return m.rt.ToValue(len(m.blobOf(c.This, "size").data))
	}, nil)
	proto.accessor("type", func(c sobek.FunctionCall) sobek.Value {
		return m.rt.ToValue(m.blobOf(c.This, "type").typ)
	}, nil)
	proto.method("text", func(c sobek.FunctionCall) sobek.Value {
		return m.resolved(decodeUTF8(m.blobOf(c.This, "text").data))
	})
	proto.method("arrayBuffer", func(c sobek.FunctionCall) sobek.Value {
		return m.resolved(m.rt.NewArrayBuffer(cloneBytes(m.blobOf(c.This, "arrayBuffer").data)))
	})
	proto.method("bytes", func(c sobek.FunctionCall) sobek.Value {
		return m.resolved(m.uint8Array(cloneBytes(m.blobOf(c.This, "bytes").data)))
	})
	proto.method("slice", m.blobSlice)
	proto.method("stream", m.blobStream)
	return proto.err
}

// newBlob is the Blob constructor: new Blob(blobParts, options).
func (m *module) newBlob(call sobek.ConstructorCall) *sobek.Object {
	if !inherits(call.This, m.blobProto) {
		jsval.Throwf(m.rt, jsval.TypeError, "Failed to construct 'Blob': please use the 'new' operator")
	}
	if m.err != nil {
		common.Throw(m.rt, m.err)
	}
	typ, nativeEndings := m.blobOptions(call.Argument(1))
	b := &blob{data: m.blobParts(call.Argument(0), nativeEndings), typ: typ}
	if err := attach(m.rt, call.This, m.blobKey, b); err != nil {
		common.Throw(m.rt, err)
	}
	return nil
}

// blobObject returns a new Blob object for b.
func (m *module) blobObject(b *blob) (*sobek.Object, error) {
	obj := m.rt.CreateObject(m.blobProto)
	if err := attach(m.rt, obj, m.blobKey, b); err != nil {
		return nil, fmt.Errorf("creating a Blob: %w", err)
	}
	return obj, nil
}

// blobOf returns the blob behind this, or throws when this is not a Blob.
func (m *module) blobOf(this sobek.Value, what string) *blob {
	if b, ok := native[*blob](this, m.blobKey); ok {
		return b
	}
	jsval.Throwf(m.rt, jsval.TypeError, "Blob.%s called on %s, which is not a Blob", what, jsval.Describe(this))
	return nil
}

// blobOptions reads the options of the Blob constructor: the type, and
// whether endings are "native" (line breaks of strings become "\n").
func (m *module) blobOptions(v sobek.Value) (typ string, nativeEndings bool) {
	if common.IsNullish(v) {
		return "", false
	}
	obj, ok := v.(*sobek.Object)
	if !ok {
		jsval.Throwf(m.rt, jsval.TypeError, "Blob: options must be an object such as {type: 'text/plain'}, got %s",
			jsval.Describe(v))
	}
	if endings := obj.Get("endings"); endings != nil && !sobek.IsUndefined(endings) {
		switch e := endings.String(); e {
		case "transparent":
		case "native":
			nativeEndings = true
		default:
			jsval.Throwf(m.rt, jsval.TypeError, `Blob: options.endings must be "transparent" or "native", got %s`, jsval.Quote(e))
		}
	}
	if t := obj.Get("type"); t != nil && !sobek.IsUndefined(t) {
		typ = normalizeType(t.String())
	}
	return typ, nativeEndings
}

// normalizeType applies the File API's rule to a type: lower case, or empty
// when it has characters outside printable ASCII.
func normalizeType(t string) string {
	for i := range len(t) {
		if t[i] < 0x20 || t[i] > 0x7e {
			return ""
		}
	}
	return strings.ToLower(t)
}

// blobParts concatenates the parts of a new Blob: ArrayBuffers,
// ArrayBufferViews and Blobs as bytes, anything else as its string.
func (m *module) blobParts(v sobek.Value, nativeEndings bool) []byte {
	if v == nil || sobek.IsUndefined(v) {
		return nil
	}
	items, ok := m.sequence(v)
	if !ok {
		jsval.Throwf(m.rt, jsval.TypeError, "Blob: blobParts must be an array (or another iterable) of strings, "+
			"ArrayBuffers, ArrayBufferViews and Blobs, got %s", jsval.Describe(v))
	}
	var data []byte
	for _, item := range items {
		if b, ok := native[*blob](item, m.blobKey); ok {
			data = append(data, b.data...)
			continue
		}
		if view, ok := jsval.Bytes(m.rt, item); ok {
			data = append(data, view...)
			continue
		}
		s := item.String()
		if nativeEndings {
			s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
		}
		data = append(data, s...)
	}
	return data
}

// sequence returns the items of an array or of another iterable object.
func (m *module) sequence(v sobek.Value) ([]sobek.Value, bool) {
	obj, ok := v.(*sobek.Object)
	if !ok {
		return nil, false
	}
	if _, iterable := sobek.AssertFunction(obj.GetSymbol(sobek.SymIterator)); !iterable {
		return nil, false
	}
	from, ok := sobek.AssertFunction(m.rt.Get("Array").ToObject(m.rt).Get("from"))
	if !ok {
		return nil, false
	}
	arr, err := from(sobek.Undefined(), obj)
	if err != nil {
		common.Throw(m.rt, err)
	}
	list := arr.ToObject(m.rt)
	n := list.Get("length").ToInteger()
	items := make([]sobek.Value, 0, n)
	for i := range n {
		items = append(items, list.Get(strconv.FormatInt(i, 10)))
	}
	return items, true
}

// blobSlice is Blob.prototype.slice(start, end, contentType).
func (m *module) blobSlice(c sobek.FunctionCall) sobek.Value {
	b := m.blobOf(c.This, "slice")
	size := int64(len(b.data))
	start, end := int64(0), size
	if v := c.Argument(0); !sobek.IsUndefined(v) {
		start = relativeIndex(longLong(v), size)
	}
	if v := c.Argument(1); !sobek.IsUndefined(v) {
		end = relativeIndex(longLong(v), size)
	}
	var typ string
	if v := c.Argument(2); !sobek.IsUndefined(v) {
		typ = normalizeType(v.String())
	}
	part := &blob{typ: typ}
	if end > start {
		part.data = b.data[start:end:end]
	}
	obj, err := m.blobObject(part)
	if err != nil {
		common.Throw(m.rt, err)
	}
	return obj
}

// longLong converts v as WebIDL's long long does: NaN and infinities are 0,
// fractions are truncated and values out of range wrap modulo 2^64.
func longLong(v sobek.Value) int64 {
	f := math.Trunc(v.ToFloat())
	const two63, two64 = 1 << 63, 1 << 64
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0
	case f >= -two63 && f < two63:
		return int64(f)
	}
	// |f| >= 2^63: f and the remainder are multiples of 2^11, which float64
	// represents exactly in this range.
	f = math.Mod(f, two64)
	if f < 0 {
		f += two64
	}
	if f >= two63 {
		f -= two64
	}
	return int64(f)
}

// relativeIndex resolves a slice bound: negative values count from the end,
// and the result is clamped to [0, size].
func relativeIndex(i, size int64) int64 {
	if i < 0 {
		return max(size+i, 0)
	}
	return min(i, size)
}

// decodeUTF8 decodes data as UTF-8 the way Blob.text() does: a byte order
// mark is dropped and invalid bytes become U+FFFD.
func decodeUTF8(data []byte) string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	s := string(data)
	if !utf8.Valid(data) {
		s = string([]rune(s))
	}
	return s
}

// resolved returns a promise already resolved with v.
func (m *module) resolved(v any) sobek.Value {
	p, resolve, _ := m.rt.NewPromise()
	if err := resolve(v); err != nil {
		common.Throw(m.rt, fmt.Errorf("resolving a Blob promise: %w", err))
	}
	return m.rt.ToValue(p)
}

// uint8Array returns a new Uint8Array over b.
func (m *module) uint8Array(b []byte) sobek.Value {
	arr, err := m.rt.New(m.rt.Get("Uint8Array"), m.rt.ToValue(m.rt.NewArrayBuffer(b)))
	if err != nil {
		common.Throw(m.rt, fmt.Errorf("creating a Uint8Array: %w", err))
	}
	return arr
}
