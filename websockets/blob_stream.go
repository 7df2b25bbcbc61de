package websockets

import (
	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/internal/jsval"
)

// blobReadable is the state of one Blob.stream(): the bytes not read yet
// and whether a reader holds the stream.
type blobReadable struct {
	rest   []byte
	locked bool
}

// blobStream is Blob.prototype.stream(): a minimal ReadableStream of the
// blob's bytes in Uint8Array chunks, with getReader(), cancel() and locked.
func (m *module) blobStream(c sobek.FunctionCall) sobek.Value {
	st := &blobReadable{rest: m.blobOf(c.This, "stream").data}
	stream := &props{rt: m.rt, obj: m.rt.NewObject()}
	stream.tag("ReadableStream")
	stream.accessor("locked", func(sobek.FunctionCall) sobek.Value { return m.rt.ToValue(st.locked) }, nil)
	stream.method("cancel", func(sobek.FunctionCall) sobek.Value {
		st.rest = nil
		return m.resolved(sobek.Undefined())
	})
	stream.method("getReader", func(sobek.FunctionCall) sobek.Value {
		if st.locked {
			jsval.Throwf(m.rt, jsval.TypeError, "ReadableStream.getReader: the stream is already locked to a reader")
		}
		st.locked = true
		return m.streamReader(st)
	})
	if stream.err != nil {
		throwf(m.rt, "Blob.stream: %s", stream.err)
	}
	return stream.obj
}

// streamReader returns a reader of st with read(), cancel() and releaseLock().
func (m *module) streamReader(st *blobReadable) sobek.Value {
	released := false
	reader := &props{rt: m.rt, obj: m.rt.NewObject()}
	reader.tag("ReadableStreamDefaultReader")
	reader.method("read", func(sobek.FunctionCall) sobek.Value {
		if released {
			jsval.Throwf(m.rt, jsval.TypeError, "ReadableStreamDefaultReader.read: the reader's lock was released")
		}
		return m.resolved(m.nextChunk(st))
	})
	reader.method("cancel", func(sobek.FunctionCall) sobek.Value {
		st.rest = nil
		return m.resolved(sobek.Undefined())
	})
	reader.method("releaseLock", func(sobek.FunctionCall) sobek.Value {
		if !released {
			released, st.locked = true, false
		}
		return sobek.Undefined()
	})
	if reader.err != nil {
		throwf(m.rt, "Blob.stream: %s", reader.err)
	}
	return reader.obj
}

// nextChunk returns the next read result: {value, done}.
func (m *module) nextChunk(st *blobReadable) *sobek.Object {
	result := m.rt.NewObject()
	if len(st.rest) == 0 {
		st.rest = nil
		m.setResult(result, sobek.Undefined(), true)
		return result
	}
	n := min(len(st.rest), streamChunk)
	chunk := cloneBytes(st.rest[:n])
	st.rest = st.rest[n:]
	m.setResult(result, m.uint8Array(chunk), false)
	return result
}

func (m *module) setResult(result *sobek.Object, value sobek.Value, done bool) {
	if err := result.Set("value", value); err != nil {
		throwf(m.rt, "Blob.stream: %s", err)
	}
	if err := result.Set("done", done); err != nil {
		throwf(m.rt, "Blob.stream: %s", err)
	}
}
