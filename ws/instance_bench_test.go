package ws_test

import (
	"testing"

	"github.com/loadkit/xk6-ws/internal/wstest"
	"github.com/loadkit/xk6-ws/ws"
)

// BenchmarkModuleInstance reports the heap one VU's instance of the module
// keeps (retained-B/VU): "import" for a VU whose script imports the module
// and uses nothing of it, "use" once the script has read the module object.
// Run it with a fixed count, e.g. -benchtime 1000x.
func BenchmarkModuleInstance(b *testing.B) {
	b.Run("import", func(b *testing.B) { wstest.BenchInstances(b, ws.New(), false) })
	b.Run("use", func(b *testing.B) { wstest.BenchInstances(b, ws.New(), true) })
}
