package echoserver_test

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

func TestTLSServesWSSWithItsCA(t *testing.T) {
	srv := startServer(t, echoserver.Options{TLS: &echoserver.TLSOptions{}})
	assert.True(t, strings.HasPrefix(srv.URL(), "wss://127.0.0.1:"), srv.URL())
	assert.True(t, strings.HasPrefix(srv.HTTPURL(), "https://127.0.0.1:"), srv.HTTPURL())

	conn, _, err := dialWith(t, tlsDialer(t, srv, false), srv, "/echo", nil)
	require.NoError(t, err)
	roundTrip(t, conn, "over tls")

	// Without the CA the certificate is not trusted.
	_, _, err = dialWith(t, &websocket.Dialer{}, srv, "/echo", nil)
	require.ErrorContains(t, err, "certificate")
}

func TestTLSCertificates(t *testing.T) {
	srv := startServer(t, echoserver.Options{TLS: &echoserver.TLSOptions{}})
	ca := parseCert(t, srv.CACertPEM())
	assert.True(t, ca.IsCA)
	certPEM, keyPEM := srv.ClientCertPEM()
	client := parseCert(t, certPEM)
	require.NoError(t, client.CheckSignatureFrom(ca))
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, client.ExtKeyUsage)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), client.NotAfter, time.Hour)
	block, _ := pem.Decode(keyPEM)
	require.NotNil(t, block)
	_, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)

	plain := startServer(t, echoserver.Options{})
	assert.Nil(t, plain.CACertPEM())
	cert, key := plain.ClientCertPEM()
	assert.Nil(t, cert)
	assert.Nil(t, key)
}

func TestTLSRequireClientCert(t *testing.T) {
	srv := startServer(t, echoserver.Options{TLS: &echoserver.TLSOptions{RequireClientCert: true}})

	_, _, err := dialWith(t, tlsDialer(t, srv, false), srv, "/echo", nil)
	require.Error(t, err)

	conn, _, err := dialWith(t, tlsDialer(t, srv, true), srv, "/echo", nil)
	require.NoError(t, err)
	roundTrip(t, conn, "authenticated")
}

func TestTLSCloseEndsBlockedConnections(t *testing.T) {
	srv, err := echoserver.Start(echoserver.Options{TLS: &echoserver.TLSOptions{}, Logf: t.Logf})
	require.NoError(t, err)
	// A message larger than all TCP buffers, which nobody reads, blocks the
	// server's write.
	flood, _, err := dialWith(t, tlsDialer(t, srv, false), srv, "/push?count=1&size=33554432", nil)
	require.NoError(t, err)
	noclose, _, err := dialWith(t, tlsDialer(t, srv, false), srv, "/noclose", nil)
	require.NoError(t, err)
	require.NoError(t, noclose.WriteControl(websocket.CloseMessage, nil, time.Now().Add(timeout)))
	require.Eventually(t, func() bool { return srv.Stats().MessagesSent == 1 }, timeout, time.Millisecond)

	require.NoError(t, srv.Close())
	require.Error(t, readUntilError(t, flood, 1))
	require.Error(t, readUntilError(t, noclose, 1))
}

func TestHandlerEmbeds(t *testing.T) {
	handler := echoserver.NewHandler()
	ts := httptest.NewServer(handler)
	h, ok := handler.(*echoserver.Handler)
	require.True(t, ok)
	defer ts.Close()
	defer h.Close() // before ts.Close: it ends the hijacked connections

	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	d := websocket.Dialer{HandshakeTimeout: timeout}
	conn, resp, err := d.DialContext(t.Context(), url+"/echo", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	defer conn.Close() //nolint:errcheck // closed by the handler first
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(timeout)))
	roundTrip(t, conn, "embedded")
	assert.Equal(t, int64(1), h.Stats().MessagesReceived)

	nd := net.Dialer{Timeout: timeout}
	hang, err := nd.DialContext(t.Context(), "tcp", ts.Listener.Addr().String())
	require.NoError(t, err)
	defer hang.Close() //nolint:errcheck // closed by the handler first
	require.NoError(t, hang.SetDeadline(time.Now().Add(timeout)))
	writeHandshake(t, hang, "/hang")
	require.Eventually(t, func() bool { return h.Stats().OpenConnections == 2 }, timeout, time.Millisecond)

	h.Close()
	_, _, err = conn.ReadMessage()
	require.Error(t, err)
	_, err = io.ReadAll(hang)
	require.NoError(t, err, "EOF from the closed hang connection")
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+"/", http.NoBody)
	require.NoError(t, err)
	resp, err = client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return cert
}
