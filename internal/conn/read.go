package conn

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// readChunkSize is the size of the pooled chunks that a message is read
// into before it is copied out at its exact size.
const readChunkSize = 64 << 10

// readChunk is one piece of a message being read.
type readChunk [readChunkSize]byte

// readChunkPool holds the chunks of messages being read; a message takes
// from it as many chunks as its length needs and gives them back once it is
// copied out, so a large message costs one allocation of its own size.
var readChunkPool = sync.Pool{New: func() any { return new(readChunk) }}

// messageTooBigError is returned by readMessage for a message longer than
// its limit.
type messageTooBigError struct{ limit int64 }

func (e *messageTooBigError) Error() string {
	return fmt.Sprintf("websocket: received a message larger than maxMessageSize (%d bytes)", e.limit)
}

// readMessage reads the rest of the message r and returns it in a slice of
// its length. It reads at most limit+1 bytes, whatever r decodes them from:
// a longer message is a *messageTooBigError, and what was read of it is
// dropped. This bounds the memory a compressed message can inflate to.
//
// A message that fits one chunk is read into a pooled chunk and copied out.
// A longer one is read straight into a slice of *sizeHint bytes, when that
// is more than a chunk, so that a connection whose messages keep the same
// large size copies each of them once less; what does not fit goes on into
// pooled chunks. *sizeHint is then set to the length of this message, when
// it is longer than a chunk: the caller keeps it from one message to the
// next. The returned slice has at most an eighth of its capacity spare.
func readMessage(r io.Reader, limit int64, sizeHint *int) ([]byte, error) {
	first, _ := readChunkPool.Get().(*readChunk)
	m := message{limit: limit, first: first}
	defer m.release()
	for {
		room := m.room(*sizeHint)
		n, err := r.Read(room)
		m.tail += n
		m.size += int64(n)
		switch {
		case m.size > limit:
			return nil, &messageTooBigError{limit: limit}
		case errors.Is(err, io.EOF):
			if m.size > readChunkSize {
				*sizeHint = int(m.size)
			}
			return m.bytes(), nil
		case err != nil:
			return nil, fmt.Errorf("reading websocket message: %w", err)
		}
	}
}

// message is a message being read. Its bytes are in first, or, when the
// size hint called for one once first was full, in head; then in more.
type message struct {
	limit int64
	first *readChunk
	head  []byte
	more  []*readChunk
	size  int64 // bytes read
	tail  int   // bytes read into the piece being filled: first, head or the last of more
}

// room returns where the next bytes go: never more than limit+1 bytes in all.
func (m *message) room(sizeHint int) []byte {
	var room []byte
	switch {
	case len(m.more) > 0 && m.tail < readChunkSize:
		room = m.more[len(m.more)-1][m.tail:]
	case len(m.more) > 0:
		room = m.grow()
	case m.head != nil && m.tail < len(m.head):
		room = m.head[m.tail:]
	case m.head != nil:
		room = m.grow()
	case m.tail < readChunkSize:
		room = m.first[m.tail:]
	case sizeHint > readChunkSize:
		// first is full: go on in a slice of the hinted size.
		m.head = make([]byte, min(int64(sizeHint), m.limit+1))
		m.tail = copy(m.head, m.first[:])
		room = m.head[m.tail:]
	default:
		room = m.grow()
	}
	if left := m.limit + 1 - m.size; int64(len(room)) > left {
		room = room[:left]
	}
	return room
}

// grow adds a pooled chunk to more and returns it.
func (m *message) grow() []byte {
	c, _ := readChunkPool.Get().(*readChunk)
	m.more = append(m.more, c)
	m.tail = 0
	return c[:]
}

// bytes returns the message read, copied out of the pooled chunks.
func (m *message) bytes() []byte {
	if m.head != nil && m.size <= int64(len(m.head)) {
		data := m.head[:m.size]
		if spare := cap(data) - len(data); spare > cap(data)/8 {
			data = append([]byte(nil), data...)
		}
		return data
	}
	data := make([]byte, m.size)
	start := m.head
	if start == nil {
		start = m.first[:]
	}
	off := copy(data, start)
	for _, c := range m.more {
		off += copy(data[off:], c[:])
	}
	return data
}

// release gives the pooled chunks back.
func (m *message) release() {
	readChunkPool.Put(m.first)
	for _, c := range m.more {
		readChunkPool.Put(c)
	}
}
