package wstest

import (
	"runtime"
	"testing"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/js/modules"
	"go.k6.io/k6/js/modulestest"
)

// instanceBatch is how many runtimes BenchInstances holds at a time.
const instanceBatch = 100

// BenchInstances reports what module costs one VU as the metric
// retained-B/VU: the heap still in use, after a full garbage collection,
// per instance made by NewModuleInstance on a fresh runtime (the runtime's
// own heap is left out). When use is true each instance's exports are also
// read, as a script that uses them does; otherwise the figure is what a VU
// pays for importing the module and nothing more.
func BenchInstances(b *testing.B, module modules.Module, use bool) {
	b.Helper()
	var retained float64
	for done := 0; done < b.N; done += instanceBatch {
		vus := make([]*modulestest.VU, min(instanceBatch, b.N-done))
		for i := range vus {
			rt := sobek.New()
			rt.SetFieldNameMapper(common.FieldNameMapper{})
			vus[i] = &modulestest.VU{RuntimeField: rt}
		}
		before := liveHeap()
		instances := make([]modules.Instance, len(vus))
		for i, vu := range vus {
			instances[i] = module.NewModuleInstance(vu)
			if use {
				readExports(vu.Runtime(), instances[i].Exports())
			}
		}
		retained += float64(liveHeap()) - float64(before)
		runtime.KeepAlive(instances)
		runtime.KeepAlive(vus)
	}
	b.ReportMetric(retained/float64(b.N), "retained-B/VU")
}

// readExports converts every export to a JavaScript value, as k6 does when
// a script reads an imported name.
func readExports(rt *sobek.Runtime, exports modules.Exports) {
	if exports.Default != nil {
		rt.ToValue(exports.Default)
	}
	for _, v := range exports.Named {
		rt.ToValue(v)
	}
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
