package conn

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptedConn is a net.Conn whose reads return, one per call, the pieces
// it was given (each cut to the reader's buffer), then io.EOF. It records
// the size of every buffer it was asked to fill.
type scriptedConn struct {
	net.Conn
	pieces [][]byte
	asked  []int
	// eofWithData returns io.EOF together with the last piece.
	eofWithData bool
	// writes are the buffers written, each call apart; writeErr fails them.
	writes   []string
	writeErr error
}

func (c *scriptedConn) Write(p []byte) (int, error) {
	if c.writeErr != nil {
		return 0, c.writeErr
	}
	c.writes = append(c.writes, string(p))
	return len(p), nil
}

func (c *scriptedConn) Read(p []byte) (int, error) {
	c.asked = append(c.asked, len(p))
	if len(c.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.pieces[0])
	c.pieces[0] = c.pieces[0][n:]
	if len(c.pieces[0]) == 0 {
		c.pieces = c.pieces[1:]
	}
	if c.eofWithData && len(c.pieces) == 0 {
		return n, io.EOF
	}
	return n, nil
}

func newScripted(pieces ...[]byte) (*scriptedConn, *gorillaConn) {
	sc := &scriptedConn{pieces: pieces}
	return sc, newGorillaConn(&countingConn{Conn: sc}, false)
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func TestBurstConnReadsWhatFitsStraightIntoTheCallersBuffer(t *testing.T) {
	t.Parallel()
	sc, bc := newScripted([]byte("a small message"), []byte("another"))
	p := make([]byte, readBufferSize)
	n, err := bc.Read(p)
	require.NoError(t, err)
	assert.Equal(t, "a small message", string(p[:n]))
	n, err = bc.Read(p)
	require.NoError(t, err)
	assert.Equal(t, "another", string(p[:n]))
	assert.Equal(t, []int{readBufferSize, readBufferSize}, sc.asked, "no burst buffer for reads that do not fill p")
	assert.Nil(t, bc.buf, "an idle connection holds no burst buffer")
}

func TestBurstConnReadsABurstInOneCallAndGivesItsBufferBack(t *testing.T) {
	t.Parallel()
	src := pattern(10 * readBufferSize)
	sc, bc := newScripted(src)
	var got []byte
	p := make([]byte, readBufferSize)
	for len(got) < len(src) {
		n, err := bc.Read(p)
		require.NoError(t, err)
		got = append(got, p[:n]...)
	}
	assert.Equal(t, src, got)
	assert.Equal(t, []int{readBufferSize, readBurstSize}, sc.asked,
		"the read after a full one takes the rest of the burst in one call")
	assert.Nil(t, bc.buf, "a drained burst buffer goes back to the pool")
	assert.False(t, bc.burst, "a burst read that did not fill its buffer ends the burst")

	_, err := bc.Read(p)
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, []int{readBufferSize, readBurstSize, readBufferSize}, sc.asked)
}

func TestBurstConnReadsLargeBuffersDirectlyDuringABurst(t *testing.T) {
	t.Parallel()
	src := pattern(readBufferSize + 3*directReadSize)
	sc, bc := newScripted(src)
	p := make([]byte, readBufferSize)
	_, err := bc.Read(p)
	require.NoError(t, err)
	big := make([]byte, directReadSize)
	n, err := bc.Read(big)
	require.NoError(t, err)
	assert.Equal(t, src[readBufferSize:readBufferSize+n], big[:n])
	assert.Equal(t, []int{readBufferSize, directReadSize}, sc.asked, "no copy through a burst buffer")
	assert.Nil(t, bc.buf)
}

func TestBurstConnReportsAReadErrorAfterTheDataOfItsBurst(t *testing.T) {
	t.Parallel()
	src := pattern(3 * readBufferSize)
	sc, bc := newScripted(src[:readBufferSize], src[readBufferSize:])
	sc.eofWithData = true
	var got []byte
	p := make([]byte, readBufferSize/2)
	var err error
	for err == nil {
		var n int
		n, err = bc.Read(p)
		got = append(got, p[:n]...)
	}
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, src, got, "every byte read before the error is delivered")
	assert.Nil(t, bc.buf)
}

func TestBurstConnKeepsTheStreamWhateverTheReadSizes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		src := pattern(rng.IntN(4 * readBurstSize))
		var pieces [][]byte
		for rest := src; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(2*readBurstSize))
			pieces = append(pieces, rest[:n])
			rest = rest[n:]
		}
		_, bc := newScripted(pieces...)
		var got bytes.Buffer
		for {
			p := make([]byte, 1+rng.IntN(2*directReadSize))
			n, err := bc.Read(p)
			got.Write(p[:n])
			if err != nil {
				require.ErrorIs(t, err, io.EOF)
				break
			}
		}
		require.Equal(t, src, got.Bytes(), "round %d", round)
	}
}

func TestBurstConnHoldsWritesUntilTheFirstRead(t *testing.T) {
	t.Parallel()
	sc, bc := newScripted([]byte("answer"))
	requestLine := []byte("GET / HTTP/1.1\r\n")
	_, err := bc.Write(requestLine)
	require.NoError(t, err)
	_, err = bc.WriteString("Host: h")
	require.NoError(t, err)
	require.NoError(t, bc.WriteByte('\r'))
	require.NoError(t, bc.WriteByte('\n'))
	assert.Empty(t, sc.writes, "nothing is written before the first read")

	p := make([]byte, readBufferSize)
	n, err := bc.Read(p)
	require.NoError(t, err)
	assert.Equal(t, "answer", string(p[:n]))
	assert.Equal(t, []string{"GET / HTTP/1.1\r\nHost: h\r\n"}, sc.writes, "the held writes go out in one")
	assert.Equal(t, int64(len(sc.writes[0])), bc.written(), "held bytes are counted once written")

	frame := []byte("frame")
	_, err = bc.Write(frame)
	require.NoError(t, err)
	require.NoError(t, bc.WriteByte('!'))
	_, err = bc.WriteString("more")
	require.NoError(t, err)
	assert.Equal(t, []string{"GET / HTTP/1.1\r\nHost: h\r\n", "frame", "!", "more"}, sc.writes,
		"after the first read, writes go straight through")
}

func TestBurstConnReportsTheFailedWriteOfHeldBytesOnTheFirstRead(t *testing.T) {
	t.Parallel()
	sc, bc := newScripted([]byte("answer"))
	sc.writeErr = errors.New("broken pipe")
	request := []byte("request")
	_, err := bc.Write(request)
	require.NoError(t, err)
	_, err = bc.Read(make([]byte, readBufferSize))
	require.ErrorIs(t, err, sc.writeErr)
	assert.Empty(t, sc.asked, "nothing is read after the failed write")
}

func TestBurstConnWithNothingHeldWritesNothingOnTheFirstRead(t *testing.T) {
	t.Parallel()
	sc, bc := newScripted([]byte("x"))
	_, err := bc.Read(make([]byte, readBufferSize))
	require.NoError(t, err)
	assert.Empty(t, sc.writes)
}
