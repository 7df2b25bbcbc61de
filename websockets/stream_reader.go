package websockets

import (
	"fmt"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/internal/jsval"
)

// streamReader is a reader of a WebSocketStream's readable: it holds the
// readable's lock until releaseLock.
type streamReader struct {
	released bool
}

// newReadable builds the readable of s: a ReadableStream of messages with
// locked, getReader() and cancel(). It has no Symbol.asyncIterator: k6's
// JavaScript engine has neither that symbol nor for await.
func (m *module) newReadable(s *wsStream) *sobek.Object {
	r := &props{rt: m.rt, obj: m.rt.NewObject()}
	r.tag("ReadableStream")
	r.accessor("locked", func(sobek.FunctionCall) sobek.Value { return m.rt.ToValue(s.reader != nil) }, nil)
	r.method("getReader", func(sobek.FunctionCall) sobek.Value {
		return m.newReader(s)
	})
	r.method("cancel", func(c sobek.FunctionCall) sobek.Value {
		if s.reader != nil {
			return m.rejected(m.rt.NewTypeError("ReadableStream.cancel: the stream is locked to a reader"))
		}
		return s.cancelReadable(c.Argument(0))
	})
	if r.err != nil {
		throwf(m.rt, "WebSocketStream: building the readable: %s", r.err)
	}
	return r.obj
}

// newReader locks the readable of s to a new reader, or throws when it is
// locked already.
func (m *module) newReader(s *wsStream) *sobek.Object {
	if s.reader != nil {
		jsval.Throwf(m.rt, jsval.TypeError, "ReadableStream.getReader: the stream is already locked to a reader")
	}
	rd := &streamReader{}
	s.reader = rd
	r := &props{rt: m.rt, obj: m.rt.NewObject()}
	r.tag("ReadableStreamDefaultReader")
	r.method("read", func(sobek.FunctionCall) sobek.Value {
		if rd.released {
			return m.rejected(m.rt.NewTypeError("ReadableStreamDefaultReader.read: the reader's lock was released"))
		}
		return s.read()
	})
	r.method("releaseLock", func(sobek.FunctionCall) sobek.Value {
		s.release(rd)
		return sobek.Undefined()
	})
	r.method("cancel", func(c sobek.FunctionCall) sobek.Value {
		if rd.released {
			return m.rejected(m.rt.NewTypeError("ReadableStreamDefaultReader.cancel: the reader's lock was released"))
		}
		return s.cancelReadable(c.Argument(0))
	})
	if r.err != nil {
		throwf(m.rt, "WebSocketStream: building the reader: %s", r.err)
	}
	return r.obj
}

// read returns the promise of the next message: { value, done }.
func (s *wsStream) read() sobek.Value {
	s.life.watch(s.m.vu.Context())
	s.pull()
	p := s.m.newPromise()
	s.reads = append(s.reads, p)
	s.deliver()
	s.hold()
	return s.m.rt.ToValue(p.p)
}

// release unlocks the readable from rd; the reads rd left waiting are
// rejected, as the Streams standard says.
func (s *wsStream) release(rd *streamReader) {
	if rd.released {
		return
	}
	rd.released = true
	if s.reader == rd {
		s.reader = nil
	}
	reads := s.reads
	s.reads = nil
	for _, read := range reads {
		read.settle(s.m.rt.NewTypeError("ReadableStreamDefaultReader: the reader's lock was released"), true)
	}
}

// cancelReadable cancels the readable: messages not read are dropped, the
// reads waiting end, and the connection closes (with the code and reason of
// a WebSocketError given as the reason).
func (s *wsStream) cancelReadable(reason sobek.Value) sobek.Value {
	s.life.watch(s.m.vu.Context())
	s.pull()
	s.cancelled = true
	clear(s.msgs[s.next:])
	s.msgs, s.next = s.msgs[:0], 0
	code, text := s.m.closeReason(reason)
	s.startClose(code, text)
	reads := s.reads
	s.reads = nil
	for _, read := range reads {
		read.settle(s.m.readResult(sobek.Undefined(), true), false)
	}
	return s.m.resolved(sobek.Undefined())
}

// rejected returns a promise already rejected with reason.
func (m *module) rejected(reason any) sobek.Value {
	p := m.newPromise()
	if err := p.reject(reason); err != nil {
		throwf(m.rt, "rejecting a promise: %s", err)
	}
	return m.rt.ToValue(p.p)
}

// errorf returns a JavaScript Error with a formatted message.
func (m *module) errorf(format string, args ...any) *sobek.Object {
	return m.rt.NewGoError(fmt.Errorf(format, args...))
}
