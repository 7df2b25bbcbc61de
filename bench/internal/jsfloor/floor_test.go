package jsfloor

import (
	"strings"
	"testing"

	"github.com/grafana/sobek"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/js/modulestest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// handlerScript defines a handler that counts its calls, as the flood
// scenario's scripts do.
const handlerScript = `let received = 0; function handler(e) { received++; }`

// payload is what each delivered message carries: 64 bytes, as in the flood.
var payload = strings.Repeat("x", 64)

// newHandler returns a runtime of k6's kind with the counting handler.
func newHandler(b *testing.B) (*modulestest.Runtime, sobek.Callable) {
	b.Helper()
	rt := modulestest.NewRuntime(b)
	_, err := rt.VU.Runtime().RunString(handlerScript)
	require.NoError(b, err)
	fn, ok := sobek.AssertFunction(rt.VU.Runtime().Get("handler"))
	require.True(b, ok)
	return rt, fn
}

// checkCount fails the benchmark unless the handler ran n times.
func checkCount(b *testing.B, rt *modulestest.Runtime, n int) {
	b.Helper()
	require.Equal(b, int64(n), rt.VU.Runtime().Get("received").ToInteger())
}

// BenchmarkCall is a bare call of a JavaScript function from Go, with no
// argument: the least any delivery of a message to a handler costs.
func BenchmarkCall(b *testing.B) {
	rt, fn := newHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fn(sobek.Undefined()); err != nil {
			b.Fatal(err)
		}
	}
	checkCount(b, rt, b.N)
}

// BenchmarkCallWithEvent calls the handler with what a message handler
// needs at least: a new object whose data property is the message, a new
// string made from 64 bytes.
func BenchmarkCallWithEvent(b *testing.B) {
	rt, fn := newHandler(b)
	vm := rt.VU.Runtime()
	data := []byte(payload)
	b.ReportAllocs()
	for b.Loop() {
		event := vm.NewObject()
		if err := event.Set("data", vm.ToValue(string(data))); err != nil {
			b.Fatal(err)
		}
		if _, err := fn(sobek.Undefined(), event); err != nil {
			b.Fatal(err)
		}
	}
	checkCount(b, rt, b.N)
}

// BenchmarkCallThroughEventLoop hands every call to k6's event loop from
// another goroutine, one callback per message, as a module that does not
// batch must: the floor of a naive delivery path.
func BenchmarkCallThroughEventLoop(b *testing.B) {
	rt, fn := newHandler(b)
	vm := rt.VU.Runtime()
	n := b.N
	b.ReportAllocs()
	b.ResetTimer()
	err := rt.EventLoop.Start(func() error {
		enqueue := rt.VU.RegisterCallback()
		go func() {
			for i := 0; i < n; i++ {
				next := rt.VU.RegisterCallback()
				enqueue(func() error {
					_, err := fn(sobek.Undefined(), vm.ToValue(payload))
					return err
				})
				enqueue = next
			}
			enqueue(func() error { return nil })
		}()
		return nil
	})
	require.NoError(b, err)
	b.StopTimer()
	checkCount(b, rt, n)
}
