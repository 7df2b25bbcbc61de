package conn

import (
	"bytes"
	"compress/flate"
	"strings"
	"sync"
)

// With permessage-deflate (RFC 7692), data messages are compressed here and
// written as frames of this package like any other (gorilla only inflates
// what it reads). A message is compressed on its own, without the context of
// the ones before it: the client offers client_no_context_takeover, and
// compresses so whether or not the server's answer says it (see
// handshake.go).

// deflateLevel is gorilla's, and so stock k6's, compression level.
const deflateLevel = flate.BestSpeed

// deflateTail is what a flushed DEFLATE stream ends with and a message's
// compressed payload leaves off (RFC 7692, section 7.2.1).
var deflateTail = []byte{0, 0, 0xff, 0xff}

var (
	// flateWriters lend compressors to the writers of compressed
	// connections only while they compress a message.
	flateWriters sync.Pool
	// deflateBuffers hold compressed messages until they are framed.
	deflateBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// deflateMessage compresses payload, a data message of kind, and returns its
// frames (see encodeMessage) in a buffer of outboundBuffer's, and the pooled
// buffer they are in, or nil.
func deflateMessage(kind int, payload []byte) (frames []byte, pooled *[]byte) {
	out, _ := deflateBuffers.Get().(*bytes.Buffer)
	defer func() {
		out.Reset()
		deflateBuffers.Put(out)
	}()
	fw, _ := flateWriters.Get().(*flate.Writer)
	if fw == nil {
		fw, _ = flate.NewWriter(out, deflateLevel) // the level is valid: no error
	} else {
		fw.Reset(out)
	}
	// Writing to a bytes.Buffer fails only by running out of memory, which
	// panics.
	_, _ = fw.Write(payload)
	_ = fw.Flush()
	flateWriters.Put(fw)
	compressed := bytes.TrimSuffix(out.Bytes(), deflateTail)

	frames, pooled = outboundBuffer(framedSize(len(compressed)))
	encodeMessage(kind, true, frames, compressed)
	return frames, pooled
}

// negotiatedDeflate tells whether the handshake's extensions turned
// permessage-deflate on.
func negotiatedDeflate(extensions []string) bool {
	for _, ext := range extensions {
		if strings.Contains(strings.ToLower(ext), "permessage-deflate") {
			return true
		}
	}
	return false
}
