package websockets

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/grafana/sobek"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/jsval"
)

// streamWriter is a writer of a WebSocketStream's writable: it holds the
// writable's lock until releaseLock.
type streamWriter struct {
	released bool
}

// newWritable builds the writable of s: a WritableStream of messages with
// locked, getWriter(), close() and abort().
func (m *module) newWritable(s *wsStream) *sobek.Object {
	w := &props{rt: m.rt, obj: m.rt.NewObject()}
	w.tag("WritableStream")
	w.accessor("locked", func(sobek.FunctionCall) sobek.Value { return m.rt.ToValue(s.writer != nil) }, nil)
	w.method("getWriter", func(sobek.FunctionCall) sobek.Value { return m.newWriter(s) })
	w.method("close", func(sobek.FunctionCall) sobek.Value {
		if s.writer != nil {
			return m.rejected(m.rt.NewTypeError("WritableStream.close: the stream is locked to a writer"))
		}
		return s.closeWritable()
	})
	w.method("abort", func(c sobek.FunctionCall) sobek.Value {
		if s.writer != nil {
			return m.rejected(m.rt.NewTypeError("WritableStream.abort: the stream is locked to a writer"))
		}
		return s.abortWritable(c.Argument(0))
	})
	if w.err != nil {
		throwf(m.rt, "WebSocketStream: building the writable: %s", w.err)
	}
	return w.obj
}

// newWriter locks the writable of s to a new writer, or throws when it is
// locked already.
func (m *module) newWriter(s *wsStream) *sobek.Object {
	if s.writer != nil {
		jsval.Throwf(m.rt, jsval.TypeError, "WritableStream.getWriter: the stream is already locked to a writer")
	}
	wr := &streamWriter{}
	s.writer = wr
	released := func(what string) sobek.Value {
		return m.rejected(m.rt.NewTypeError("WritableStreamDefaultWriter." + what + ": the writer's lock was released"))
	}
	w := &props{rt: m.rt, obj: m.rt.NewObject()}
	w.tag("WritableStreamDefaultWriter")
	w.method("write", func(c sobek.FunctionCall) sobek.Value {
		if wr.released {
			return released("write")
		}
		return s.write(c.Argument(0))
	})
	w.method("close", func(sobek.FunctionCall) sobek.Value {
		if wr.released {
			return released("close")
		}
		return s.closeWritable()
	})
	w.method("abort", func(c sobek.FunctionCall) sobek.Value {
		if wr.released {
			return released("abort")
		}
		return s.abortWritable(c.Argument(0))
	})
	w.method("releaseLock", func(sobek.FunctionCall) sobek.Value {
		if !wr.released {
			wr.released = true
			if s.writer == wr {
				s.writer = nil
			}
		}
		return sobek.Undefined()
	})
	w.accessor("ready", func(sobek.FunctionCall) sobek.Value {
		if wr.released {
			return released("ready")
		}
		s.enter()
		if s.state != streamOpen {
			return m.rejectedHandled(s.writableError())
		}
		if len(s.waiting) == 0 {
			return m.resolved(sobek.Undefined())
		}
		if s.ready == nil {
			ready := m.newPromise()
			s.ready = &ready
		}
		return m.rt.ToValue(s.ready.p)
	}, nil)
	w.accessor("desiredSize", func(sobek.FunctionCall) sobek.Value {
		if wr.released {
			jsval.Throwf(m.rt, jsval.TypeError, "WritableStreamDefaultWriter.desiredSize: the writer's lock was released")
		}
		s.enter()
		return s.desiredSize()
	}, nil)
	if w.err != nil {
		throwf(m.rt, "WebSocketStream: building the writer: %s", w.err)
	}
	return w.obj
}

// desiredSize is how many more messages the writable takes before writes
// wait: its high-water mark is one message waiting for room in the
// connection's write queue. It is 0 while the stream closes and null once it
// is closed (the writable is errored then).
func (s *wsStream) desiredSize() sobek.Value {
	switch {
	case s.ended:
		return sobek.Null()
	case s.state != streamOpen:
		return s.m.rt.ToValue(0)
	}
	return s.m.rt.ToValue(1 - len(s.waiting))
}

// write sends a message: an ArrayBuffer, an ArrayBufferView or a Blob as
// binary, anything else converted to a string and sent as text, as the
// standard's (BufferSource or USVString) does. Its promise resolves once the
// message is in the connection's write queue, which holds at most
// writeQueueBytes (1 MiB by default for a stream) besides one larger
// message; while the queue is full it stays pending (the message waits in
// order behind the others), so a script that awaits its writes neither loses
// data nor queues more than that.
func (s *wsStream) write(chunk sobek.Value) sobek.Value {
	s.enter()
	binary, data, thrown := s.m.chunkBytes(chunk)
	if thrown != nil {
		return s.m.rejected(thrown)
	}
	if s.state != streamOpen {
		return s.m.rejected(s.writableError())
	}
	if len(s.waiting) == 0 {
		err := s.conn.Send(binary, data)
		if err == nil {
			s.session.MessageSent(time.Now())
			return s.m.resolved(sobek.Undefined())
		}
		if !errors.Is(err, conn.ErrWriteQueueFull) {
			return s.m.rejected(s.writeError(err))
		}
	}
	// The message waits: keep its bytes as they are now.
	w := &pendingWrite{binary: binary, data: cloneBytes(data), p: s.m.newPromise()}
	s.waiting = append(s.waiting, w)
	s.mu.Lock()
	s.outbox = append(s.outbox, w)
	start := !s.sending
	s.sending = true
	s.mu.Unlock()
	if start {
		s.life.wg.Add(1)
		go s.sendLoop()
	}
	s.hold()
	return s.m.rt.ToValue(w.p.p)
}

// sendLoop runs in its own goroutine while writes wait: it hands them to
// the connection in order, each as soon as there is room for it.
func (s *wsStream) sendLoop() {
	defer s.life.wg.Done()
	for {
		s.mu.Lock()
		if len(s.outbox) == 0 {
			s.sending = false
			s.mu.Unlock()
			return
		}
		w := s.outbox[0]
		s.outbox[0] = nil
		s.outbox = s.outbox[1:]
		s.mu.Unlock()

		err := s.conn.SendWait(s.ctx, w.binary, w.data)

		s.mu.Lock()
		w.done, w.err = true, err
		s.mu.Unlock()
		s.wake()
	}
}

// settleWrites settles the writes the send goroutine is done with, in order.
func (s *wsStream) settleWrites() {
	for len(s.waiting) > 0 {
		w := s.waiting[0]
		s.mu.Lock()
		done, err := w.done, w.err
		s.mu.Unlock()
		if !done {
			return
		}
		s.waiting[0] = nil
		s.waiting = s.waiting[1:]
		if err != nil {
			w.p.settle(s.writeError(err), true)
			continue
		}
		s.session.MessageSent(time.Now())
		w.p.settle(sobek.Undefined(), false)
	}
	if len(s.waiting) > 0 {
		return // a reaction wrote again
	}
	if s.ready != nil {
		ready := s.ready
		s.ready = nil
		ready.settle(sobek.Undefined(), false)
	}
	if s.closeOnDrain != nil {
		p := s.closeOnDrain
		s.closeOnDrain = nil
		s.startClose(conn.CloseNoStatus, "")
		p.settle(sobek.Undefined(), false)
	}
}

// writeError is what a write that the connection refused rejects with: the
// writable's error once the stream is closing or closed, else err.
func (s *wsStream) writeError(err error) *sobek.Object {
	if s.state != streamOpen {
		return s.writableError()
	}
	return s.m.errorf("WebSocketStream: write: the message was not sent: %w", err)
}

// closeWritable closes the writable: once the writes before it are queued,
// the closing handshake starts without a code.
func (s *wsStream) closeWritable() sobek.Value {
	s.enter()
	if s.state != streamOpen {
		return s.m.rejected(s.m.rt.NewTypeError("WritableStream.close: the stream is " + s.stateName()))
	}
	if len(s.waiting) > 0 {
		if s.closeOnDrain == nil {
			p := s.m.newPromise()
			s.closeOnDrain = &p
		}
		return s.m.rt.ToValue(s.closeOnDrain.p)
	}
	s.startClose(conn.CloseNoStatus, "")
	return s.m.resolved(sobek.Undefined())
}

// abortWritable aborts the writable: the connection closes at once after
// what is queued, with the code and reason of a WebSocketError given as the
// reason.
func (s *wsStream) abortWritable(reason sobek.Value) sobek.Value {
	s.enter()
	code, text := s.m.closeReason(reason)
	s.startClose(code, text)
	return s.m.resolved(sobek.Undefined())
}

// stateName names the stream's state in error messages.
func (s *wsStream) stateName() string {
	return [...]string{"connecting", "open", "closing", "closed"}[s.state]
}

// chunkBytes converts what write() was given to a message: the bytes of a
// buffer, a view or a Blob are the chunk's own, to copy before the script
// runs again; anything else is converted to a string (its toString may
// throw: thrown is then what it threw).
func (m *module) chunkBytes(v sobek.Value) (binary bool, data []byte, thrown any) {
	if _, isSymbol := v.(*sobek.Symbol); isSymbol {
		return false, nil, m.rt.NewTypeError("WritableStreamDefaultWriter.write: a Symbol cannot be converted " +
			"to a string; chunk must be a buffer, a view, a Blob or a value that converts to a string")
	}
	switch x := v.Export().(type) {
	case string:
		return false, conn.StringBytes(toValidUTF8(x)), nil
	case sobek.ArrayBuffer:
		return true, x.Bytes(), nil
	}
	if b, isBlob := native[*blob](v, m.blobKey); isBlob {
		return true, b.data, nil
	}
	if view, isView := jsval.Bytes(m.rt, v); isView {
		return true, view, nil
	}
	var text string
	if ex := m.rt.Try(func() { text = v.ToString().String() }); ex != nil {
		return false, nil, ex.Value()
	}
	return false, conn.StringBytes(toValidUTF8(text)), nil
}

// toValidUTF8 replaces invalid UTF-8 (lone surrogates) as the WebSocket
// standard does for text.
func toValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
