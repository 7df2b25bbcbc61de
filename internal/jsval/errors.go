package jsval

import (
	"errors"
	"fmt"
	"strings"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
)

// ErrorName is the name of a standard error: the name property of the
// object a script catches, which tells errors apart (`e.name === "..."`).
type ErrorName string

// The errors the WebSocket standard and WebIDL throw. TypeError and
// RangeError are the ECMAScript errors of WebIDL's argument conversions; the
// others are DOMException names.
const (
	// TypeError: an argument of the wrong type, or a method called on an
	// object of the wrong kind.
	TypeError ErrorName = "TypeError"
	// RangeError: a number out of the range an argument allows.
	RangeError ErrorName = "RangeError"
	// SyntaxError: a string that does not parse, e.g. a URL.
	SyntaxError ErrorName = "SyntaxError"
	// InvalidStateError: a call that the object's state does not allow.
	InvalidStateError ErrorName = "InvalidStateError"
	// InvalidAccessError: a value the caller may not use, e.g. a reserved
	// close code.
	InvalidAccessError ErrorName = "InvalidAccessError"
)

// ErrInitContext is thrown when a script opens a WebSocket in the init
// context, where a VU has no network.
var ErrInitContext = common.NewInitContextError("using websockets in the init context is not supported")

// Error is an error that reaches scripts as an object whose name is Name
// and whose message is Message. Its Error method gives both, as the
// object's toString does.
type Error struct {
	Name    ErrorName
	Message string
	// err is the error the message wraps, if any.
	err error
}

// Errorf returns an *Error named name with a formatted message; %w wraps an
// error as fmt.Errorf does.
func Errorf(name ErrorName, format string, args ...any) error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Name: name, Message: wrapped.Error(), err: errors.Unwrap(wrapped)}
}

// Error returns "Name: Message".
func (e *Error) Error() string { return string(e.Name) + ": " + e.Message }

// Unwrap returns the error the message wraps, or nil.
func (e *Error) Unwrap() error { return e.err }

// Throw throws err as a JavaScript exception; it does not return. An
// *Error in err's chain becomes an error object with its name and err's
// whole message (the context that wraps it included); any other error is
// thrown as k6 throws errors.
func Throw(rt *sobek.Runtime, err error) {
	var e *Error
	if !errors.As(err, &e) {
		common.Throw(rt, err)
	}
	message := strings.Replace(err.Error(), e.Error(), e.Message, 1)
	panic(newErrorObject(rt, e.Name, message))
}

// Throwf throws an error named name with a formatted message; it does not
// return.
func Throwf(rt *sobek.Runtime, name ErrorName, format string, args ...any) {
	Throw(rt, Errorf(name, format, args...))
}

// ErrorObject returns the error object that Throwf would throw, for a
// promise to reject with.
func ErrorObject(rt *sobek.Runtime, name ErrorName, message string) *sobek.Object {
	return newErrorObject(rt, name, message)
}

// newErrorObject returns a new error object. TypeError and RangeError are
// instances of those classes; a DOMException name gives an Error whose own
// name property is that name.
func newErrorObject(rt *sobek.Runtime, name ErrorName, message string) *sobek.Object {
	switch name {
	case TypeError:
		return rt.NewTypeError("%s", message)
	case RangeError:
		if obj, err := rt.New(rt.Get(string(RangeError)), rt.ToValue(message)); err == nil {
			return obj
		}
	default: // a DOMException name: below
	}
	obj, err := rt.New(rt.Get("Error"), rt.ToValue(message))
	if err != nil {
		obj = rt.NewTypeError("%s", message) // the script replaced Error: still an error object
	}
	_ = obj.DefineDataProperty("name", rt.ToValue(string(name)), sobek.FLAG_TRUE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
	return obj
}
