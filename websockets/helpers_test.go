package websockets

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/require"
	k6metrics "go.k6.io/k6/metrics"

	"github.com/loadkit/xk6-ws/internal/echoserver"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

// runTimeout bounds every script a test runs.
const runTimeout = time.Minute

// prelude gives the scripts assertions that throw, which ends the run with
// an error the test reports. The package's tests assert in the script what
// the script sees (values, errors, state at a given moment) and in Go what
// the whole run left behind: what the script recorded in its globals once
// the event loop drained, and the metrics.
const prelude = `
function assert(cond, what) { if (!cond) { throw new Error("assertion failed: " + what); } }
function eq(got, want, what) {
	if (got !== want) {
		throw new Error(what + ": got " + JSON.stringify(got) + ", want " + JSON.stringify(want));
	}
}
function throwsWith(fn, text, what) {
	try { fn(); } catch (e) {
		if (String(e).indexOf(text) < 0) { throw new Error(what + ": threw " + e + ", want text " + text); }
		return String(e);
	}
	throw new Error(what + ": did not throw");
}
`

// env is a VU in the VU context with the module's exports as globals and
// an echo server whose ws:// URL is the global WS_URL.
type env struct {
	t   *testing.T
	vu  *wstest.VU
	srv *echoserver.Server
	rt  *sobek.Runtime

	// callbacks counts the event-loop callbacks that have started; pending
	// counts those registered and not enqueued yet.
	mu        sync.Mutex
	callbacks int
	pending   int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, err := echoserver.Start(echoserver.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	vu := wstest.NewVU(t, New(), "")
	e := &env{t: t, vu: vu, srv: srv, rt: vu.VU.Runtime()}
	e.countCallbacks()
	e.set("WS_URL", srv.URL())
	_, err = vu.Run(prelude)
	require.NoError(t, err)
	vu.MoveToVU()
	return e
}

// countCallbacks wraps the VU's RegisterCallback to count callbacks.
func (e *env) countCallbacks() {
	register := e.vu.VU.RegisterCallbackField
	e.vu.VU.RegisterCallbackField = func() func(func() error) {
		enqueue := register()
		e.mu.Lock()
		e.pending++
		e.mu.Unlock()
		return func(f func() error) {
			e.mu.Lock()
			e.pending--
			e.mu.Unlock()
			enqueue(func() error {
				e.mu.Lock()
				e.callbacks++
				e.mu.Unlock()
				return f()
			})
		}
	}
}

// callback returns the number of the event-loop callback running now.
func (e *env) callback() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.callbacks
}

// registered returns how many callbacks are registered and not enqueued.
func (e *env) registered() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pending
}

func (e *env) set(name string, v any) {
	e.t.Helper()
	require.NoError(e.t, e.rt.Set(name, v))
}

// run runs code on the event loop until every callback it registered has
// run; it fails the test if that takes longer than runTimeout.
func (e *env) run(code string) error {
	e.t.Helper()
	return e.runWithin(code, runTimeout)
}

// runWithin is run with another bound, for scripts that move a lot of data.
func (e *env) runWithin(code string, bound time.Duration) error {
	e.t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := e.vu.Run(code)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(bound):
		e.t.Fatalf("the script did not finish within %s", bound)
		return nil
	}
}

// mustRun runs code and requires it to succeed.
func (e *env) mustRun(code string) {
	e.t.Helper()
	require.NoError(e.t, e.run(code))
}

// get returns the exported value of a global variable.
func (e *env) get(name string) any {
	return e.rt.Get(name).Export()
}

// samples returns what the module has emitted so far.
func (e *env) samples() []k6metrics.Sample { return e.vu.Collected() }

// socketOf returns the socket behind a WebSocket object.
func socketOf(t *testing.T, rt *sobek.Runtime, v sobek.Value) *socket {
	t.Helper()
	obj, ok := v.(*sobek.Object)
	require.True(t, ok, "not an object")
	ownSymbols, ok := sobek.AssertFunction(rt.Get("Object").ToObject(rt).Get("getOwnPropertySymbols"))
	require.True(t, ok)
	list, err := ownSymbols(sobek.Undefined(), obj)
	require.NoError(t, err)
	symbols := list.ToObject(rt)
	for i := range symbols.Get("length").ToInteger() {
		if key, ok := symbols.Get(strconv.FormatInt(i, 10)).(*sobek.Symbol); ok {
			if s, ok := obj.GetSymbol(key).Export().(*socket); ok {
				return s
			}
		}
	}
	t.Fatal("not a WebSocket")
	return nil
}

// tagsOf returns the tags of the first sample of metric name.
func tagsOf(t *testing.T, samples []k6metrics.Sample, name string) map[string]string {
	t.Helper()
	of := wstest.Of(samples, name)
	require.NotEmpty(t, of, "no %s sample", name)
	return of[0].Tags.Map()
}
