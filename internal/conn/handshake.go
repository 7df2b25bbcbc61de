package conn

import (
	"bytes"
	"io"
	"strings"
)

// What gorillaConn does during the opening handshake.
//
// It holds what gorilla writes until gorilla first reads, and writes it all
// at once then: the handshake's request, which net/http writes in many
// small pieces to a writer that can take them one byte at a time (an
// io.ByteWriter), goes out in one write, and without the 4 KiB buffer that
// net/http wraps any other writer in.
//
// When permessage-deflate is offered, it reads the response's head before
// gorilla does, to fix up one answer that gorilla refuses and RFC 7692
// allows. The client offers server_no_context_takeover and
// client_no_context_takeover; a server may ignore the client's hint
// (section 7.1.1.2) and answer "permessage-deflate;
// server_no_context_takeover" alone. The client compresses each message on
// its own anyway (see deflate.go), so that answer is added
// client_no_context_takeover before gorilla reads it. An answer without
// server_no_context_takeover is left alone, and gorilla refuses it: its
// reader could not inflate messages compressed with the server's context.

// heldWriteSize is the room first made for the writes held until the first
// read: a handshake request without long headers fits.
const heldWriteSize = 256

// maxResponseHead bounds how much of a response is read before gorilla
// reads it, looking for the end of its head: net/http's own limit on a
// response's header.
const maxResponseHead = 1 << 20

// hold makes the first room for held writes, n bytes of which are coming.
func (c *gorillaConn) hold(n int) {
	if c.held == nil {
		c.held = make([]byte, 0, max(heldWriteSize, n))
	}
}

// release writes what was held until the first read, and lets later writes
// go straight through. When permessage-deflate is offered, it then reads
// the response's head and fixes up its answer.
func (c *gorillaConn) release() error {
	c.read = true
	held := c.held
	c.held = nil
	if len(held) > 0 {
		if _, err := c.countingConn.Write(held); err != nil {
			return err
		}
	}
	if c.deflate {
		head, err := readResponseHead(c.Conn)
		c.head, c.answered = completeDeflateAnswer(head)
		c.headErr = err
	}
	return nil
}

// readHead serves p from the response's head read by release.
func (c *gorillaConn) readHead(p []byte) (int, error) {
	n := copy(p, c.head)
	c.head = c.head[n:]
	if len(c.head) > 0 {
		return n, nil
	}
	c.head = nil
	err := c.headErr
	c.headErr = nil
	return n, err
}

// readResponseHead reads from r until the blank line that ends a response's
// head, or maxResponseHead bytes, or an error. It returns what it read,
// which may go on past the head.
func readResponseHead(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, readBufferSize)
	for !bytes.Contains(buf, []byte("\r\n\r\n")) && len(buf) < maxResponseHead {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// completeDeflateAnswer returns response, whose head is complete, with
// client_no_context_takeover added to a permessage-deflate answer that has
// server_no_context_takeover and lacks it, and then the values of the
// Sec-WebSocket-Extensions header as the server sent them; else response
// itself and nil.
func completeDeflateAnswer(response []byte) (fixed []byte, answered []string) {
	end := bytes.Index(response, []byte("\r\n\r\n"))
	if end < 0 {
		return response, nil
	}
	lines := strings.SplitAfter(string(response[:end+2]), "\r\n")
	changed := false
	for i, line := range lines {
		name, value, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "Sec-WebSocket-Extensions") {
			continue
		}
		value = strings.TrimSpace(value)
		answered = append(answered, value)
		if completed, ok := completeDeflate(value); ok && !changed {
			lines[i] = name + ": " + completed + "\r\n"
			changed = true
		}
	}
	if !changed {
		return response, nil
	}
	fixed = append([]byte(strings.Join(lines, "")), response[end+2:]...)
	return fixed, answered
}

// completeDeflate returns the extensions value with
// client_no_context_takeover added to its first permessage-deflate, if that
// has server_no_context_takeover and not client_no_context_takeover.
func completeDeflate(value string) (string, bool) {
	extensions := strings.Split(value, ",")
	for i, ext := range extensions {
		params := strings.Split(ext, ";")
		if !strings.EqualFold(strings.TrimSpace(params[0]), "permessage-deflate") {
			continue
		}
		server, client := false, false
		for _, param := range params[1:] {
			switch strings.ToLower(strings.TrimSpace(param)) {
			case "server_no_context_takeover":
				server = true
			case "client_no_context_takeover":
				client = true
			}
		}
		if !server || client {
			return value, false
		}
		extensions[i] = ext + "; client_no_context_takeover"
		return strings.Join(extensions, ","), true
	}
	return value, false
}
