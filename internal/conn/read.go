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
// its exact length. It reads at most limit+1 bytes, whatever r decodes them
// from: a longer message is a *messageTooBigError, and what was read of it
// is dropped. This bounds the memory a compressed message can inflate to.
func readMessage(r io.Reader, limit int64) ([]byte, error) {
	var inline [16]*readChunk // a message of up to 1 MiB does not allocate its list
	chunks := inline[:0]
	defer func() {
		for _, c := range chunks {
			readChunkPool.Put(c)
		}
	}()
	var size int64 // bytes read, of which tail in the last chunk
	tail := readChunkSize
	for {
		if tail == readChunkSize {
			c, _ := readChunkPool.Get().(*readChunk)
			chunks = append(chunks, c)
			tail = 0
		}
		room := chunks[len(chunks)-1][tail:]
		if left := limit + 1 - size; int64(len(room)) > left {
			room = room[:left]
		}
		n, err := r.Read(room)
		tail += n
		size += int64(n)
		switch {
		case size > limit:
			return nil, &messageTooBigError{limit: limit}
		case errors.Is(err, io.EOF):
			return joinChunks(chunks, size), nil
		case err != nil:
			return nil, fmt.Errorf("reading websocket message: %w", err)
		}
	}
}

// joinChunks copies the first size bytes held in chunks into a new slice.
func joinChunks(chunks []*readChunk, size int64) []byte {
	data := make([]byte, size)
	off := 0
	for _, c := range chunks {
		off += copy(data[off:], c[:])
	}
	return data
}
