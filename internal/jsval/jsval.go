// Package jsval is what both JavaScript APIs of xk6-ws (k6/ws in ws/ and the
// WebSocket class in websockets/) do with JavaScript values: it describes a
// value's type for error messages, reads the bytes of ArrayBuffers, typed
// arrays and DataViews, tells arrays and views apart, and builds the
// standard error objects that scripts catch and tell apart by their name.
//
// It knows nothing of WebSockets: it depends on sobek and k6's js/common
// only, so that both API packages can share it.
package jsval

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/grafana/sobek"
)

// maxQuoted is how many characters of a string an error message quotes:
// a longer string is quoted by this prefix and named by its length, so that
// a script's megabyte-long value never becomes a megabyte-long message.
const maxQuoted = 32

// Describe names the JavaScript type of v for error messages, e.g.
// "number 3", `string "a"`, "null" or "Uint8Array". A string longer than
// maxQuoted characters is described by its length and its first characters
// (`string of 1000000 characters starting "aaaa…"`). It reads no property
// of an object but its constructor's name, so that no getter of the
// script's runs for an error message.
func Describe(v sobek.Value) string {
	switch {
	case v == nil || sobek.IsUndefined(v):
		return "undefined"
	case sobek.IsNull(v):
		return "null"
	}
	switch x := v.(type) {
	case *sobek.Object:
		return describeObject(x)
	case *sobek.Symbol:
		return "symbol"
	case sobek.String:
		if x.Length() <= maxQuoted {
			return "string " + strconv.Quote(x.String())
		}
		return fmt.Sprintf("string of %d characters starting %s", x.Length(),
			strconv.Quote(x.Substring(0, maxQuoted).String()+"…"))
	}
	switch v.Export().(type) {
	case int64, float64:
		return "number " + v.String()
	case bool:
		return "boolean " + v.String()
	}
	if _, ok := v.Export().(*big.Int); ok {
		digits := v.String()
		if len(digits) <= maxQuoted {
			return "bigint " + digits
		}
		return fmt.Sprintf("bigint of %d digits starting %s…", len(digits), digits[:maxQuoted])
	}
	return v.ExportType().String()
}

// Quote quotes s for an error message as strconv.Quote does, but a string
// longer than maxQuoted characters is cut to its first ones, and its length
// follows: `"aaaa…" (1000000 characters)`.
func Quote(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := 0
	for range maxQuoted {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	return fmt.Sprintf("%s (%d characters)", strconv.Quote(s[:cut]+"…"), n)
}

// TypeName is the name k6's own modules give the type of v in their
// errors ("expected ArrayBuffer as argument, received: String"): "null"
// and "undefined", the constructor's name of an object, and that of its
// wrapper object for any other value (String, Number, Boolean, Symbol,
// BigInt). An object without a named constructor is an "Object".
func TypeName(v sobek.Value) string {
	switch {
	case v == nil || sobek.IsUndefined(v):
		return "undefined"
	case sobek.IsNull(v):
		return "null"
	}
	switch x := v.(type) {
	case *sobek.Object:
		if name, ok := constructorName(x); ok {
			return name
		}
		return "Object"
	case *sobek.Symbol:
		return "Symbol"
	case sobek.String:
		return "String"
	}
	switch v.Export().(type) {
	case int64, float64:
		return "Number"
	case bool:
		return "Boolean"
	case *big.Int:
		return "BigInt"
	}
	return v.ExportType().String()
}

// describeObject names an object by its constructor.
func describeObject(obj *sobek.Object) string {
	if _, isFn := sobek.AssertFunction(obj); isFn {
		return "function"
	}
	if name, ok := constructorName(obj); ok {
		return name
	}
	return "object"
}

// constructorName is the name of obj's constructor, if it has a named one.
func constructorName(obj *sobek.Object) (string, bool) {
	if ctor, ok := obj.Get("constructor").(*sobek.Object); ok {
		if name := ctor.Get("name"); name != nil && name.String() != "" {
			return name.String(), true
		}
	}
	return "", false
}

// IsArray tells whether v is an array, as Array.isArray does.
func IsArray(rt *sobek.Runtime, v sobek.Value) bool {
	return callPredicate(rt, "Array", "isArray", v)
}

// IsView tells whether v is an ArrayBufferView (a typed array or a DataView),
// as ArrayBuffer.isView does.
func IsView(rt *sobek.Runtime, v sobek.Value) bool {
	return callPredicate(rt, "ArrayBuffer", "isView", v)
}

// callPredicate calls the static method ctor.method of rt's global object
// with v and converts the result to a boolean; false if the call fails.
func callPredicate(rt *sobek.Runtime, ctor, method string, v sobek.Value) bool {
	obj, ok := v.(*sobek.Object)
	if !ok {
		return false
	}
	c, ok := rt.Get(ctor).(*sobek.Object)
	if !ok {
		return false
	}
	fn, ok := sobek.AssertFunction(c.Get(method))
	if !ok {
		return false
	}
	res, err := fn(c, obj)
	return err == nil && res.ToBoolean()
}

// Bytes returns the bytes that v holds when v is an ArrayBuffer, or those
// that v covers when it is a typed array or a DataView; ok is false for any
// other value. The bytes share the buffer's memory: copy them to keep them.
//
// A view is read through its buffer, byteOffset and byteLength properties.
// A script may redefine them on the object; whatever they say, Bytes never
// reads outside the buffer: a view that does not fit in its buffer is not ok.
func Bytes(rt *sobek.Runtime, v sobek.Value) (data []byte, ok bool) {
	obj, isObj := v.(*sobek.Object)
	if !isObj {
		return nil, false
	}
	if obj.ExportType() == typeArrayBuffer {
		ab, _ := obj.Export().(sobek.ArrayBuffer)
		return ab.Bytes(), true
	}
	if !IsView(rt, obj) {
		return nil, false
	}
	buffer, isBuffer := obj.Get("buffer").(*sobek.Object)
	if !isBuffer || buffer.ExportType() != typeArrayBuffer {
		return nil, false
	}
	ab, _ := buffer.Export().(sobek.ArrayBuffer)
	return span(ab.Bytes(), obj.Get("byteOffset"), obj.Get("byteLength"))
}

// typeArrayBuffer is what ExportType says of an ArrayBuffer: checking it
// first spares exporting other objects, which would run their getters.
var typeArrayBuffer = reflect.TypeFor[sobek.ArrayBuffer]()

// span returns buf[offset:offset+length] when offset and length are whole
// numbers that fit in buf. The checks never add the two: length is compared
// with what is left after offset, so huge values cannot overflow.
func span(buf []byte, offset, length sobek.Value) ([]byte, bool) {
	off, okOff := index(offset)
	n, okN := index(length)
	if !okOff || !okN || off > int64(len(buf)) || n > int64(len(buf))-off {
		return nil, false
	}
	return buf[off : off+n], true
}

// index converts v to a non-negative whole number; false when v is missing,
// negative, fractional or not finite.
func index(v sobek.Value) (int64, bool) {
	if v == nil {
		return 0, false
	}
	f := v.ToFloat()
	if !(f >= 0 && f <= 1<<53) || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}
