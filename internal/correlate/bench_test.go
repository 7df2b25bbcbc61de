package correlate

import (
	"testing"
	"time"
)

// discard is a Recorder that keeps nothing.
type discard struct{}

func (discard) Answered(time.Duration, time.Time) {}
func (discard) Failed(time.Time)                  {}
func (discard) Closed(time.Time)                  {}

// benchmarkRoundTrips runs what a connection tells its Table for each
// request answered: queued, written, read.
func benchmarkRoundTrips(b *testing.B, spec Spec, request, reply []byte) {
	b.Helper()
	tab := NewTable(spec, discard{})
	defer tab.Closed(time.Now())
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := tab.Queued(false, request, true); err != nil {
			b.Fatal(err)
		}
		tab.Written(now)
		tab.Read(false, reply, now)
	}
}

func BenchmarkRoundTripJSON(b *testing.B) {
	path, _ := JSONPath("id")
	benchmarkRoundTrips(b, Spec{Request: path, Reply: path},
		[]byte(`{"id":12345,"method":"get","params":{"item":7}}`),
		[]byte(`{"jsonrpc":"2.0","id":12345,"result":{"item":7,"name":"x"}}`))
}

func BenchmarkRoundTripRegexp(b *testing.B) {
	req, _ := Regexp(`^42(\d+)`)
	rep, _ := Regexp(`^43(\d+)`)
	benchmarkRoundTrips(b, Spec{Request: req, Reply: rep}, []byte(`4212["join",{"room":"lobby"}]`),
		[]byte(`4312[{"room":"lobby"}]`))
}

func BenchmarkRoundTripFIFO(b *testing.B) {
	benchmarkRoundTrips(b, Spec{FIFO: true}, make([]byte, 32), make([]byte, 32))
}
