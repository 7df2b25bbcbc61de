package websockets

import (
	"testing"

	"github.com/loadkit/xk6-ws/internal/wstest"
)

// BenchmarkModuleInstance reports the heap one VU's instance of the module
// keeps (retained-B/VU): "import" for a VU whose script imports the module
// and uses nothing of it, "use" once the script has read WebSocket and Blob.
// Run it with a fixed count, e.g. -benchtime 1000x.
func BenchmarkModuleInstance(b *testing.B) {
	b.Run("import", func(b *testing.B) { wstest.BenchInstances(b, New(), false) })
	b.Run("use", func(b *testing.B) { wstest.BenchInstances(b, New(), true) })
}
