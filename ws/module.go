// Package ws is xk6-ws's implementation of k6's k6/ws Socket API:
// ws.connect(url, [params], callback) opens a WebSocket, hands a Socket to
// the callback and blocks the VU, running the socket's event handlers and
// timers on the VU's goroutine, until the socket has closed.
//
// The package is a thin façade over the shared connection core
// (internal/conn) and the ws_* metrics (metrics): it parses arguments, builds
// the JavaScript objects and decides when which handler runs.
package ws

import (
	"fmt"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/modules"

	"github.com/loadkit/xk6-ws/internal/connmetrics"
	"github.com/loadkit/xk6-ws/internal/jsval"
	"github.com/loadkit/xk6-ws/internal/params"
)

// RootModule is the k6/ws module, shared by all VUs.
type RootModule struct{}

// moduleInstance is the k6/ws module of one VU.
type moduleInstance struct {
	vu      modules.VU
	exports *sobek.Object           // the default export, made by the first Exports
	proto   *sobek.Object           // the prototype of Socket objects, made by the first connect
	sockets map[sobek.Value]*socket // the open sockets, by their Socket object; made with proto
	// stand-ins are what a method getter returns for something that is not
	// an open socket, made on first use (see standIn).
	standIns [2][]sobek.Value
	// spareWaker wakes the loop of the VU's next socket, so that each
	// ws.connect need not make one (see takeWaker).
	spareWaker *waker
	// extra is what the VU registered and read as it imported the module:
	// the metrics of failures and of params.correlate, and K6_WS_DEBUG.
	extra connmetrics.VU
}

var (
	_ modules.Module   = (*RootModule)(nil)
	_ modules.Instance = (*moduleInstance)(nil)
)

// New returns the k6/ws module.
func New() *RootModule {
	return &RootModule{}
}

// NewModuleInstance returns the module of one VU. It makes no JavaScript
// object yet, so that a VU that only imports the module costs next to
// nothing: Exports makes them.
//
// It registers the metrics of failures and of params.correlate and reads
// K6_WS_DEBUG (see connmetrics.VU).
func (*RootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	mi := &moduleInstance{vu: vu}
	extra, err := connmetrics.ForVU(vu.InitEnv())
	if err != nil {
		common.Throw(vu.Runtime(), fmt.Errorf("k6/ws: %w", err))
	}
	mi.extra = extra
	return mi
}

// Exports returns the module's default export, the object with connect,
// made on the first call. k6 calls it whenever the script reads the import.
func (mi *moduleInstance) Exports() modules.Exports {
	if mi.exports == nil {
		rt := mi.vu.Runtime()
		mi.exports = rt.NewObject()
		// connect takes sobek's arguments as they are: sobek calls a
		// function of any other signature through reflection, a few
		// percent of a short session's CPU. Its length is 1, for the url.
		connect := rt.ToValue(mi.connect).ToObject(rt)
		err := connect.DefineDataProperty("length", rt.ToValue(1), sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
		if err == nil {
			err = mi.exports.Set("connect", connect)
		}
		if err != nil {
			common.Throw(rt, fmt.Errorf("setting up k6/ws: %w", err))
		}
	}
	return modules.Exports{Default: mi.exports}
}

// connectArgs are the parsed arguments of ws.connect.
type connectArgs struct {
	url    string
	params sobek.Value
	setup  sobek.Callable
}

// connect implements ws.connect(url, [params], callback).
func (mi *moduleInstance) connect(call sobek.FunctionCall) sobek.Value {
	res, err := mi.tryConnect(call.Arguments)
	if err != nil {
		common.Throw(mi.vu.Runtime(), err)
	}
	return res
}

// tryConnect runs ws.connect with args and returns its response object.
func (mi *moduleInstance) tryConnect(args []sobek.Value) (sobek.Value, error) {
	state := mi.vu.State()
	if state == nil {
		return nil, jsval.ErrInitContext
	}
	rt := mi.vu.Runtime()
	ca, err := parseConnectArgs(args)
	if err != nil {
		return nil, err
	}
	p, err := params.Parse(rt, state, ca.params, params.Rules{Name: "ws.connect", Subprotocols: true})
	if err != nil {
		return nil, err
	}
	return mi.run(ca, p)
}

func parseConnectArgs(args []sobek.Value) (connectArgs, error) {
	var ca connectArgs
	var callback sobek.Value
	switch len(args) {
	case 2:
		callback = args[1]
	case 3:
		ca.params, callback = args[1], args[2]
	default:
		return ca, fmt.Errorf("ws.connect expects (url, callback) or (url, params, callback), got %d arguments",
			len(args))
	}
	if common.IsNullish(args[0]) {
		return ca, fmt.Errorf("ws.connect: url must be a ws:// or wss:// URL string, got %s", jsval.Describe(args[0]))
	}
	ca.url = args[0].String()
	setup, ok := sobek.AssertFunction(callback)
	if !ok {
		return ca, fmt.Errorf("ws.connect: the last argument (callback) must be a function, got %s",
			jsval.Describe(callback))
	}
	ca.setup = setup
	return ca, nil
}
