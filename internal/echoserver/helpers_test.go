package echoserver_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// timeout bounds every wait in these tests.
const timeout = 30 * time.Second

// startServer starts a server on 127.0.0.1 that is closed when the test ends.
func startServer(t *testing.T, opts echoserver.Options) *echoserver.Server {
	t.Helper()
	opts.Logf = t.Logf
	srv, err := echoserver.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

// dial connects a gorilla client to path on srv; it is closed when the test
// ends.
func dial(t *testing.T, srv *echoserver.Server, path string) *websocket.Conn {
	t.Helper()
	conn, hs, err := dialWith(t, &websocket.Dialer{}, srv, path, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, hs.status)
	return conn
}

// handshake is the server's answer to an opening handshake.
type handshake struct {
	status int
	header http.Header
	body   string
}

// dialWith connects with the given dialer and request headers. A successful
// connection is closed when the test ends.
func dialWith(
	t *testing.T, d *websocket.Dialer, srv *echoserver.Server, path string, header http.Header,
) (*websocket.Conn, handshake, error) {
	t.Helper()
	dd := *d
	dd.HandshakeTimeout = timeout
	conn, resp, err := dd.DialContext(t.Context(), srv.URL()+path, header)
	var hs handshake
	if resp != nil {
		body, readErr := io.ReadAll(resp.Body)
		require.NoError(t, readErr)
		require.NoError(t, resp.Body.Close())
		hs = handshake{status: resp.StatusCode, header: resp.Header, body: string(body)}
	}
	if err != nil {
		return nil, hs, fmt.Errorf("dial %s: %w", path, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(timeout)))
	return conn, hs, nil
}

// readMessage reads one data message and requires its type.
func readMessage(t *testing.T, conn *websocket.Conn, wantType int) []byte {
	t.Helper()
	typ, data, err := conn.ReadMessage()
	require.NoError(t, err)
	require.Equal(t, wantType, typ)
	return data
}

// roundTrip sends a text message and requires it back.
func roundTrip(t *testing.T, conn *websocket.Conn, text string) {
	t.Helper()
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(text)))
	require.Equal(t, text, string(readMessage(t, conn, websocket.TextMessage)))
}

// closeErrorOf requires err to be a close frame from the server.
func closeErrorOf(t *testing.T, err error) *websocket.CloseError {
	t.Helper()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	return ce
}

// readUntilError reads and discards data messages until an error, at most
// limit messages.
func readUntilError(t *testing.T, conn *websocket.Conn, limit int) error {
	t.Helper()
	for range limit {
		if _, _, err := conn.ReadMessage(); err != nil {
			return err
		}
	}
	t.Fatalf("no error after %d messages", limit)
	return nil
}

// rawDial opens a TCP connection to srv with a deadline of timeout.
func rawDial(t *testing.T, srv *echoserver.Server) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(t.Context(), "tcp", srv.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(timeout)))
	return c
}

// writeHandshake writes a WebSocket opening handshake for path.
func writeHandshake(t *testing.T, c net.Conn, path string) {
	t.Helper()
	req := "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_, err := io.WriteString(c, req)
	require.NoError(t, err)
}

// rawUpgrade performs the handshake on a raw connection and returns a reader
// positioned at the first frame.
func rawUpgrade(t *testing.T, srv *echoserver.Server, path string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := rawDial(t, srv)
	writeHandshake(t, c, path)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	return c, br
}

// frame is one WebSocket frame as read off the wire.
type frame struct {
	fin     bool
	opcode  byte
	payload []byte
}

// readFrame reads one unmasked (server to client) frame.
func readFrame(r io.Reader) (frame, error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return frame{}, fmt.Errorf("read frame header: %w", err)
	}
	if head[1]&0x80 != 0 {
		return frame{}, errors.New("server frame is masked")
	}
	n := uint64(head[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return frame{}, fmt.Errorf("read length: %w", err)
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return frame{}, fmt.Errorf("read length: %w", err)
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return frame{}, fmt.Errorf("read payload: %w", err)
	}
	return frame{fin: head[0]&0x80 != 0, opcode: head[0] & 0x0f, payload: payload}, nil
}

// httpGet fetches path over plain HTTP and returns status, headers and body.
func httpGet(t *testing.T, srv *echoserver.Server, path string) (int, http.Header, string) {
	t.Helper()
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.HTTPURL()+path, http.NoBody)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer func() { require.NoError(t, resp.Body.Close()) }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(body)
}

// tlsDialer trusts srv's CA and, when withCert, presents its client
// certificate.
func tlsDialer(t *testing.T, srv *echoserver.Server, withCert bool) *websocket.Dialer {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(srv.CACertPEM()))
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withCert {
		certPEM, keyPEM := srv.ClientCertPEM()
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &websocket.Dialer{TLSClientConfig: cfg}
}

// pattern is the payload the server generates: printable ASCII cycling
// through a-z0-9.
func pattern(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	return []byte(strings.Repeat(alphabet, n/len(alphabet)+1)[:n])
}
