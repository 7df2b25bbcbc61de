// Package websockets is the k6/x/websockets module of xk6-ws: the WHATWG
// WebSocket class and Blob, driven by the VU's event loop.
//
// A script may open many sockets per VU; each is dialled in a goroutine of
// its own while the script goes on, and everything a socket reports reaches
// the script through the event loop, in order, several events per callback.
// The networking is internal/conn's and the metrics are package metrics';
// this package parses arguments, builds the JavaScript objects and decides
// when listeners run.
package websockets

import (
	"fmt"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/modules"

	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/websockets/internal/domevent"
)

// RootModule is the global module object: it makes one instance per VU.
type RootModule struct{}

// New returns the module, for registration under k6/x/websockets and k6's own
// names.
func New() *RootModule { return &RootModule{} }

var (
	_ modules.Module   = (*RootModule)(nil)
	_ modules.Instance = (*module)(nil)
)

// NewModuleInstance returns the module's instance for vu. Its WebSocket and
// Blob classes are built when the script first reads an export, so that a VU
// that only imports the module costs next to nothing.
//
// It registers the metrics of failures and of params.correlate and reads
// K6_WS_DEBUG (see connmetrics.VU).
func (*RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	m := &module{vu: vu, rt: vu.Runtime()}
	extra, err := connmetrics.ForVU(vu.InitEnv())
	if err != nil {
		common.Throw(vu.Runtime(), fmt.Errorf("k6/websockets: %w", err))
	}
	m.extra = extra
	return m
}

// module is the instance of the module in one VU. Until the script reads an
// export it holds only these four fields: the classes are allocated apart,
// on first use.
type module struct {
	vu modules.VU
	rt *sobek.Runtime
	// extra is what the VU registered and read as it imported the module:
	// the metrics of failures and of params.correlate, and K6_WS_DEBUG.
	extra connmetrics.VU
	*classes
}

// classes are the JavaScript classes of one VU and what their methods need.
type classes struct {
	// err is why the classes could not be built; the constructors then throw it.
	err error

	webSocket *sobek.Object
	wsProto   *sobek.Object
	blob      *sobek.Object
	blobProto *sobek.Object
	// socketKey and blobKey hold, on each instance, the Go value behind it.
	socketKey *sobek.Symbol
	blobKey   *sobek.Symbol
	// events is what the sockets' event builders share (see
	// domevent.Builder.For), made with the first socket.
	events *domevent.Builder

	streamClasses
}

// Exports returns the named exports: WebSocket, Blob, WebSocketStream and
// WebSocketError, built on the first call. k6 calls it whenever the script
// reads an imported name.
func (m *module) Exports() modules.Exports {
	if m.classes == nil {
		m.classes = &classes{}
		m.err = m.setup()
	}
	if m.err != nil {
		fail := m.rt.ToValue(func(sobek.ConstructorCall) *sobek.Object {
			common.Throw(m.rt, m.err)
			return nil
		})
		return modules.Exports{Named: map[string]any{
			"WebSocket": fail, "Blob": fail, "WebSocketStream": fail, "WebSocketError": fail,
		}}
	}
	return modules.Exports{Named: m.streamExports(map[string]any{"WebSocket": m.webSocket, "Blob": m.blob})}
}

func (m *module) setup() error {
	m.socketKey = sobek.NewSymbol("xk6-ws.WebSocket")
	m.blobKey = sobek.NewSymbol("xk6-ws.Blob")

	var err error
	if m.webSocket, err = named(m.rt, "WebSocket", m.newWebSocket); err != nil {
		return err
	}
	m.wsProto = m.webSocket.Get("prototype").ToObject(m.rt)
	if err := m.defineWebSocket(); err != nil {
		return fmt.Errorf("websockets: building the WebSocket class: %w", err)
	}

	if m.blob, err = named(m.rt, "Blob", m.newBlob); err != nil {
		return err
	}
	m.blobProto = m.blob.Get("prototype").ToObject(m.rt)
	if err := m.defineBlob(); err != nil {
		return fmt.Errorf("websockets: building the Blob class: %w", err)
	}
	return m.defineStreams()
}

// props defines properties on an object, keeping the first error.
type props struct {
	rt  *sobek.Runtime
	obj *sobek.Object
	err error
}

// method defines a non-enumerable method.
func (p *props) method(name string, fn func(sobek.FunctionCall) sobek.Value) {
	if p.err != nil {
		return
	}
	var f *sobek.Object
	if f, p.err = named(p.rt, name, fn); p.err == nil {
		p.err = p.obj.DefineDataProperty(name, f, sobek.FLAG_TRUE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
	}
}

// accessor defines an enumerable getter, with a setter unless set is nil.
func (p *props) accessor(name string, get, set func(sobek.FunctionCall) sobek.Value) {
	if p.err != nil {
		return
	}
	getter, err := named(p.rt, "get "+name, get)
	if err != nil {
		p.err = err
		return
	}
	var setter sobek.Value
	if set != nil {
		if setter, p.err = named(p.rt, "set "+name, set); p.err != nil {
			return
		}
	}
	p.err = p.obj.DefineAccessorProperty(name, getter, setter, sobek.FLAG_TRUE, sobek.FLAG_TRUE)
}

// constant defines a read-only enumerable value.
func (p *props) constant(name string, v any) {
	if p.err == nil {
		p.err = p.obj.DefineDataProperty(name, p.rt.ToValue(v), sobek.FLAG_FALSE, sobek.FLAG_FALSE, sobek.FLAG_TRUE)
	}
}

// tag sets the object's Symbol.toStringTag.
func (p *props) tag(name string) {
	if p.err == nil {
		p.err = p.obj.DefineDataPropertySymbol(sobek.SymToStringTag, p.rt.ToValue(name),
			sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
	}
}

// named returns fn (a Go function or constructor) as a JavaScript function
// whose name property is name rather than the Go symbol.
func named(rt *sobek.Runtime, name string, fn any) (*sobek.Object, error) {
	f := rt.ToValue(fn).ToObject(rt)
	if err := f.DefineDataProperty("name", rt.ToValue(name), sobek.FLAG_FALSE, sobek.FLAG_TRUE,
		sobek.FLAG_FALSE); err != nil {
		return nil, fmt.Errorf("naming function %s: %w", name, err)
	}
	return f, nil
}

// attach stores the Go value v on obj under key, hidden from enumeration.
func attach(rt *sobek.Runtime, obj *sobek.Object, key *sobek.Symbol, v any) error {
	if err := obj.DefineDataPropertySymbol(key, rt.ToValue(v), sobek.FLAG_FALSE, sobek.FLAG_FALSE,
		sobek.FLAG_FALSE); err != nil {
		return fmt.Errorf("attaching the native object: %w", err)
	}
	return nil
}

// throwf throws a JavaScript error with a formatted message.
func throwf(rt *sobek.Runtime, format string, args ...any) {
	common.Throw(rt, fmt.Errorf(format, args...))
}

// inherits tells whether proto is on obj's prototype chain: whether a
// constructor was called with new rather than as a function.
func inherits(obj, proto *sobek.Object) bool {
	for p := obj.Prototype(); p != nil; p = p.Prototype() {
		if p == proto {
			return true
		}
	}
	return false
}
