package e2e

import (
	"bytes"
	"sync"
)

// output collects what k6 writes to stdout and stderr and tells when a
// string first appears in either of them.
type output struct {
	mu      sync.Mutex
	streams [2]bytes.Buffer
	// want is the string awaited; found is closed when it appears. Both
	// are fixed at creation; with no string awaited found is never closed.
	want  string
	found chan struct{}
	seen  bool
}

// newOutput returns an output that watches for want (nothing if empty).
func newOutput(want string) *output {
	return &output{want: want, found: make(chan struct{})}
}

// stream is one of the two io.Writers of an output.
type stream struct {
	o   *output
	idx int
}

// stdout is the writer for k6's standard output.
func (o *output) stdout() *stream { return &stream{o: o, idx: 0} }

// stderr is the writer for k6's standard error.
func (o *output) stderr() *stream { return &stream{o: o, idx: 1} }

// Write appends p to the stream and checks the tail that p may have
// completed for the awaited string.
func (s *stream) Write(p []byte) (int, error) {
	o := s.o
	o.mu.Lock()
	defer o.mu.Unlock()
	buf := &o.streams[s.idx]
	from := max(buf.Len()-len(o.want)+1, 0)
	buf.Write(p)
	if o.want != "" && !o.seen && bytes.Contains(buf.Bytes()[from:], []byte(o.want)) {
		o.seen = true
		close(o.found)
	}
	return len(p), nil
}

// strings returns everything written so far to stdout and to stderr.
func (o *output) strings() (stdout, stderr string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.streams[0].String(), o.streams[1].String()
}
