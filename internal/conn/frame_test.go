package conn_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// frameLengths are payload lengths at the edges of the three length
// encodings of a frame, and a large message.
var frameLengths = []int{0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20}

// payload returns n bytes of valid UTF-8 that tell the message seq apart.
func payload(seq, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = 'a' + byte((i+seq)%26)
	}
	return p
}

func TestDataMessagesOfEveryLengthEncodingRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		tls         bool
		compression bool
	}{{"plain", false, false}, {"compressed", false, true}, {"tls", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := conn.Target{}
			var srv *echoserver.Server
			if tc.tls {
				var err error
				srv, err = echoserver.Start(echoserver.Options{TLS: &echoserver.TLSOptions{}})
				require.NoError(t, err)
				t.Cleanup(func() { require.NoError(t, srv.Close()) })
				roots := x509.NewCertPool()
				require.True(t, roots.AppendCertsFromPEM(srv.CACertPEM()))
				target.TLSConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
			} else {
				srv = startServer(t)
			}
			target.URL = srv.URL() + "/echo"
			c := dialTarget(t, context.Background(), target, conn.Options{Compression: tc.compression})
			require.Equal(t, tc.compression, strings.Contains(strings.Join(c.hs.Extensions, ","), "permessage-deflate"),
				"negotiated compression: %q", c.hs.Extensions)
			for i, n := range frameLengths {
				for _, kind := range []conn.Kind{conn.Text, conn.Binary} {
					want := payload(i, n)
					require.NoError(t, c.Send(kind == conn.Binary, want))
					got := last(c.until(t, kind))
					require.Equal(t, kind, got.Kind)
					require.Equal(t, want, got.Data, "%d bytes of kind %d", n, kind)
				}
			}
		})
	}
}

// recordingDialer dials TCP connections that log the write deadlines set on
// them and the writes made to them, in order.
type recordingDialer struct {
	mu  sync.Mutex
	log []wireEvent
}

// wireEvent is a write deadline set (deadline true; zero: none) or a write
// of size bytes that starts with first.
type wireEvent struct {
	deadline bool
	zero     bool
	first    byte
	size     int
}

func (d *recordingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: nc, d: d}, nil
}

func (d *recordingDialer) add(ev wireEvent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = append(d.log, ev)
}

// events returns the log so far.
func (d *recordingDialer) events() []wireEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]wireEvent(nil), d.log...)
}

type recordingConn struct {
	net.Conn
	d *recordingDialer
}

func (c *recordingConn) SetWriteDeadline(t time.Time) error {
	c.d.add(wireEvent{deadline: true, zero: t.IsZero()})
	return c.Conn.SetWriteDeadline(t)
}

func (c *recordingConn) SetDeadline(t time.Time) error {
	c.d.add(wireEvent{deadline: true, zero: t.IsZero()})
	return c.Conn.SetDeadline(t)
}

func (c *recordingConn) Write(p []byte) (int, error) {
	if len(p) > 0 {
		c.d.add(wireEvent{first: p[0], size: len(p)})
	}
	return c.Conn.Write(p)
}

// rawFrame is a frame as a server read it off the wire.
type rawFrame struct {
	fin, masked bool
	rsv         byte // the RSV bits, in place
	opcode      byte
	lengthBytes int // bytes of the extended length: 0, 2 or 8
	key         [4]byte
	payload     []byte
}

// readRawFrame reads one frame from r and unmasks its payload.
func readRawFrame(r io.Reader) (rawFrame, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return rawFrame{}, fmt.Errorf("reading a frame header: %w", err)
	}
	f := rawFrame{fin: head[0]&0x80 != 0, rsv: head[0] & 0x70, opcode: head[0] & 0x0f, masked: head[1]&0x80 != 0}
	n := uint64(head[1] & 0x7f)
	switch n {
	case 126:
		f.lengthBytes = 2
	case 127:
		f.lengthBytes = 8
	}
	if f.lengthBytes > 0 {
		ext := make([]byte, 8)
		if _, err := io.ReadFull(r, ext[8-f.lengthBytes:]); err != nil {
			return rawFrame{}, fmt.Errorf("reading a frame length: %w", err)
		}
		n = binary.BigEndian.Uint64(ext)
	}
	if f.masked {
		if _, err := io.ReadFull(r, f.key[:]); err != nil {
			return rawFrame{}, fmt.Errorf("reading a mask key: %w", err)
		}
	}
	if n > 2<<20 {
		return rawFrame{}, fmt.Errorf("frame of %d bytes is larger than any the test sends", n)
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return rawFrame{}, fmt.Errorf("reading a payload: %w", err)
	}
	for i := range f.payload {
		f.payload[i] ^= f.key[i%4]
	}
	return f, nil
}

// rawServer accepts one connection on 127.0.0.1, answers its handshake
// (with a message), and hands it to serve, with a read deadline of
// waitBound; stop is closed when the test ends.
func rawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader, stop <-chan struct{})) (url string) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		if err := upgrade(c); err != nil {
			t.Errorf("raw server: %v", err)
			return
		}
		if err := c.SetReadDeadline(time.Now().Add(waitBound)); err != nil {
			t.Errorf("raw server: %v", err)
			return
		}
		serve(c, bufio.NewReader(c), stop)
	})
	t.Cleanup(func() {
		close(stop)
		_ = ln.Close()
		wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

// frameServer is a rawServer that sends on frames the frames the client
// writes, until it fails.
func frameServer(t *testing.T) (url string, frames <-chan rawFrame) {
	t.Helper()
	out := make(chan rawFrame)
	url = rawServer(t, func(_ net.Conn, br *bufio.Reader, stop <-chan struct{}) {
		defer close(out)
		for {
			f, err := readRawFrame(br)
			if err != nil {
				return // the client went away, or the test ended
			}
			select {
			case out <- f:
			case <-stop:
				return
			}
		}
	})
	return url, out
}

// A data message goes out as masked frames of at most conn.MaxFragment
// bytes, each with the shortest length encoding and a mask key of its own,
// written in one call: one final frame when it fits, else a first frame with
// its opcode, continuation frames, and FIN on the last.
func TestDataMessageIsMaskedFramesOfBoundedSizeEachInOneWrite(t *testing.T) {
	t.Parallel()
	url, frames := frameServer(t)
	dialer := &recordingDialer{}
	c := dialTarget(t, context.Background(), conn.Target{URL: url, Dialer: dialer}, conn.Options{})
	c.until(t, conn.Text) // the server's message: the handshake is over

	lengths := append(slices.Clone(frameLengths), conn.MaxFragment, conn.MaxFragment+1, 2*conn.MaxFragment)
	for i, n := range lengths {
		for _, binaryMessage := range []bool{false, true} {
			want := payload(i, n)
			before := len(dialer.events())
			require.NoError(t, c.Send(binaryMessage, want))

			opcode := byte(websocket.TextMessage)
			if binaryMessage {
				opcode = websocket.BinaryMessage
			}
			got := []byte{}
			var sizes []int
			keys := map[[4]byte]bool{}
			for len(sizes) == 0 || len(got) < n {
				var f rawFrame
				select {
				case next, ok := <-frames:
					require.True(t, ok, "the raw server stopped")
					f = next
				case <-time.After(waitBound):
					t.Fatalf("no frame of the %d-byte message within %s", n, waitBound)
				}
				require.LessOrEqual(t, len(f.payload), conn.MaxFragment, "a frame of the %d-byte message", n)
				if len(sizes) == 0 {
					assert.Equal(t, opcode, f.opcode, "opcode of the first frame of %d bytes", n)
				} else {
					assert.Equal(t, byte(0), f.opcode, "opcode of frame %d of %d bytes", len(sizes), n)
				}
				assert.True(t, f.masked, "MASK of %d bytes", n)
				assert.False(t, keys[f.key], "mask key of frame %d of %d bytes used before", len(sizes), n)
				keys[f.key] = true
				wantLengthBytes := 0
				switch {
				case len(f.payload) > 65535:
					wantLengthBytes = 8
				case len(f.payload) > 125:
					wantLengthBytes = 2
				}
				assert.Equal(t, wantLengthBytes, f.lengthBytes, "extended length of a %d-byte frame", len(f.payload))
				got = append(got, f.payload...)
				sizes = append(sizes, 2+wantLengthBytes+4+len(f.payload))
				assert.Equal(t, len(got) == n, f.fin, "FIN of frame %d of %d bytes", len(sizes), n)
			}
			require.Equal(t, want, got, "unmasked payload of %d bytes", n)
			assert.Len(t, sizes, max(1, (n+conn.MaxFragment-1)/conn.MaxFragment), "frames of %d bytes", n)

			var writes []int
			for _, ev := range dialer.events()[before:] {
				if !ev.deadline {
					writes = append(writes, ev.size)
				}
			}
			assert.Equal(t, sizes, writes, "one write per frame of %d bytes", n)
		}
	}
}

// A control frame's write deadline is not left on the connection for the
// data message written after it: gorilla sets none for data messages.
func TestControlFrameDeadlineDoesNotApplyToDataMessages(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	dialer := &recordingDialer{}
	c := dialTarget(t, context.Background(), conn.Target{URL: srv.URL() + "/echo", Dialer: dialer}, conn.Options{})
	for i := range 3 {
		require.NoError(t, c.Ping())
		c.until(t, conn.Pong)
		require.NoError(t, c.Send(true, payload(i, 100)))
		c.until(t, conn.Binary)
	}

	deadline, pings, messages := false, 0, 0 // a write deadline is set
	for _, ev := range dialer.events() {
		switch {
		case ev.deadline:
			deadline = !ev.zero
		case ev.first == 0x80|websocket.PingMessage:
			pings++
			assert.True(t, deadline, "a ping is written with a deadline")
		case ev.first == 0x80|websocket.BinaryMessage:
			messages++
			assert.False(t, deadline, "data message %d is written with a control frame's deadline", messages)
		}
	}
	assert.Equal(t, 3, pings)
	assert.Equal(t, 3, messages)
}

// chunkingDialer dials TCP connections that write in small pieces and let
// other goroutines run between them, as a net.Conn may: nothing but the
// connection's write lock keeps another frame out of a data frame then.
type chunkingDialer struct{}

func (chunkingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	nc, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return chunkingConn{nc}, nil
}

type chunkingConn struct{ net.Conn }

func (c chunkingConn) Write(p []byte) (int, error) {
	const chunk = 256
	written := 0
	for written < len(p) {
		n, err := c.Conn.Write(p[written:min(written+chunk, len(p))])
		written += n
		if err != nil {
			return written, err
		}
		runtime.Gosched()
	}
	return written, nil
}

// pingingServer reads messages from the client while it pings it as fast as
// it can, and checks both: the messages are sequenced payloads of size
// bytes, the pongs answer the pings in order. Once it read count messages it
// stops pinging, sends the ping "last", and expects the text message "end"
// after that ping's pong. It sends nil on result when all was intact.
func pingingServer(t *testing.T, count, size int) (url string, result <-chan error) {
	t.Helper()
	out := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			out <- err
			return
		}
		defer func() { _ = ws.Close() }()
		out <- checkPingedStream(ws, count, size)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/", out
}

func checkPingedStream(ws *websocket.Conn, count, size int) error {
	if err := ws.SetReadDeadline(time.Now().Add(waitBound)); err != nil {
		return err
	}
	var pongs []string
	ws.SetPongHandler(func(data string) error {
		pongs = append(pongs, data)
		return nil
	})

	stop := make(chan struct{})
	pinged := make(chan int, 1)
	go func() {
		pings := 0
		defer func() { pinged <- pings }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if ws.WriteControl(websocket.PingMessage, []byte(strconv.Itoa(pings)), time.Now().Add(waitBound)) != nil {
				return
			}
			pings++
		}
	}()
	stopPinging := func() int {
		close(stop)
		return <-pinged
	}

	for i := range count {
		kind, data, err := ws.ReadMessage()
		if err != nil {
			stopPinging()
			return fmt.Errorf("reading message %d: %w", i, err)
		}
		if kind != websocket.BinaryMessage || !bytes.Equal(data, payload(i, size)) {
			stopPinging()
			return fmt.Errorf("message %d is not intact: kind %d, %d bytes", i, kind, len(data))
		}
	}
	pings := stopPinging()
	if err := ws.WriteControl(websocket.PingMessage, []byte("last"), time.Now().Add(waitBound)); err != nil {
		return fmt.Errorf("sending the last ping: %w", err)
	}
	kind, data, err := ws.ReadMessage()
	switch {
	case err != nil:
		return fmt.Errorf("reading the end: %w", err)
	case kind != websocket.TextMessage || string(data) != "end":
		return fmt.Errorf("the end is %d %q", kind, data)
	case pings == 0:
		return fmt.Errorf("no ping was sent while %d messages were read", count)
	}
	want := make([]string, 0, pings+1)
	for i := range pings {
		want = append(want, strconv.Itoa(i))
	}
	want = append(want, "last")
	if !slices.Equal(pongs, want) {
		return fmt.Errorf("%d pongs do not answer the %d pings in order", len(pongs), len(want))
	}
	return nil
}

// A peer that pings all the time gets every pong and every large message
// intact: a pong is never written inside a data frame.
func TestPongsNeverLandInsideDataFrames(t *testing.T) {
	t.Parallel()
	const count, size = 16, 128 << 10
	url, result := pingingServer(t, count, size)
	c := dialTarget(t, context.Background(), conn.Target{URL: url, Dialer: chunkingDialer{}}, conn.Options{})
	for i := range count {
		require.NoError(t, c.Send(true, payload(i, size)))
	}

	// Drain the pings, and answer the last one, which comes after all
	// messages were read and after its pong, with the end.
	deadline := time.After(waitBound)
	for {
		select {
		case err := <-result:
			require.NoError(t, err)
			return
		case <-c.wake:
		case <-deadline:
			t.Fatalf("the server did not finish within %s", waitBound)
		}
		c.buf = c.Events(c.buf)
		for _, ev := range c.buf {
			if ev.Kind == conn.Ping && string(ev.Data) == "last" {
				require.NoError(t, c.Send(false, []byte("end")))
			}
		}
	}
}

// When the peer closes while messages wait to be written, the answer to its
// close frame is the last frame on the wire: the messages behind it are
// dropped, not written after it.
func TestNoDataFrameFollowsTheCloseFrame(t *testing.T) {
	t.Parallel()
	after := make(chan []byte, 1) // the opcodes read after the client's close frame
	url := rawServer(t, func(c net.Conn, br *bufio.Reader, _ <-chan struct{}) {
		defer close(after)
		if _, err := readRawFrame(br); err != nil {
			t.Errorf("reading the first message: %v", err)
			return
		}
		if _, err := c.Write([]byte{0x80 | websocket.CloseMessage, 2, 0x03, 0xe8}); err != nil {
			t.Errorf("closing: %v", err)
			return
		}
		for {
			f, err := readRawFrame(br)
			if err != nil {
				t.Errorf("reading up to the close frame: %v", err)
				return
			}
			if f.opcode == websocket.CloseMessage {
				break
			}
		}
		var opcodes []byte
		for {
			f, err := readRawFrame(br)
			if err != nil {
				after <- opcodes // the client closed the connection
				return
			}
			opcodes = append(opcodes, f.opcode)
		}
	})
	c := dialTarget(t, context.Background(), conn.Target{URL: url}, conn.Options{})
	c.until(t, conn.Text) // the server's message: the handshake is over
	const count, size = 512, 16 << 10
	for i := range count {
		if err := c.Send(true, payload(i, size)); err != nil {
			require.ErrorIs(t, err, conn.ErrClosed, "message %d", i)
			break
		}
	}
	closed := last(c.until(t, conn.Close))
	assert.Equal(t, conn.CloseNormal, closed.Code)
	select {
	case opcodes := <-after:
		assert.Empty(t, opcodes, "frames after the close frame")
	case <-time.After(waitBound):
		t.Fatalf("the server did not see the end within %s", waitBound)
	}
}
