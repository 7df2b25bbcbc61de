package echocmd_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/cmd/tests"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/echocmd"
	"github.com/loadkit/xk6-ws/internal/echoserver"
)

const timeout = 10 * time.Second

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// command runs `ws-echo args...` in the background with its stdout on a
// pipe. It returns the printed lines as they come and the command's result.
type command struct {
	lines  chan string
	result chan error
	// signals receives the channel the command registered for signals.
	signals chan chan<- os.Signal
	// cancel ends the context the command runs with.
	cancel context.CancelFunc
}

func start(t *testing.T, args ...string) *command {
	t.Helper()
	ts := tests.NewGlobalTestState(t)
	pr, pw := io.Pipe()
	ts.GlobalState.Stdout.Writer = pw // ts.Stdout is the test buffer behind it
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := &command{
		lines:   make(chan string, 100),
		result:  make(chan error, 1),
		signals: make(chan chan<- os.Signal, 1),
		cancel:  cancel,
	}
	ts.SignalNotify = func(ch chan<- os.Signal, _ ...os.Signal) { c.signals <- ch }
	ts.SignalStop = func(chan<- os.Signal) {}
	cmd := echocmd.New(ts.GlobalState)
	require.Equal(t, "ws-echo", cmd.Name())
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)

	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	go func() {
		err := cmd.ExecuteContext(ctx)
		_ = pw.Close() // ends the scanner
		<-scanned
		c.result <- err
	}()
	return c
}

// line returns the next printed line.
func (c *command) line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		require.True(t, ok, "output ended")
		return l
	case <-time.After(timeout):
		t.Fatal("no output")
		return ""
	}
}

// wait returns the command's result.
func (c *command) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.result:
		return err
	case <-time.After(timeout):
		t.Fatal("command did not return")
		return nil
	}
}

// url reads the first line and returns the URL it announces.
func (c *command) url(t *testing.T) string {
	t.Helper()
	first := c.line(t)
	const prefix = "xk6-ws echo server listening on "
	require.True(t, strings.HasPrefix(first, prefix), first)
	return strings.TrimPrefix(first, prefix)
}

func roundTrip(t *testing.T, d *websocket.Dialer, url string) {
	t.Helper()
	d.HandshakeTimeout = timeout
	conn, resp, err := d.DialContext(t.Context(), url+"/echo", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	defer func() { require.NoError(t, conn.Close()) }()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(timeout)))
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte("hi")))
	_, got, err := conn.ReadMessage()
	require.NoError(t, err)
	assert.Equal(t, "hi", string(got))
}

// rest collects the remaining output until the command ends.
func (c *command) rest() string {
	var b strings.Builder
	for l := range c.lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func TestServesUntilContextEnds(t *testing.T) {
	c := start(t, "--addr", "127.0.0.1:0")
	url := c.url(t)
	assert.Regexp(t, `^ws://127\.0\.0\.1:\d+$`, url)
	roundTrip(t, &websocket.Dialer{}, url)

	c.cancel()
	require.NoError(t, c.wait(t))
	assert.Equal(t, "\n"+echoserver.HelpText(), c.rest())
	_, resp, err := (&websocket.Dialer{HandshakeTimeout: timeout}).DialContext(t.Context(), url+"/echo", nil)
	require.Error(t, err, "the server is stopped")
	assert.Nil(t, resp)
}

func TestStopsOnSignal(t *testing.T) {
	c := start(t, "--addr", "127.0.0.1:0")
	url := c.url(t)
	roundTrip(t, &websocket.Dialer{}, url)

	var sigC chan<- os.Signal
	select {
	case sigC = <-c.signals:
	case <-time.After(timeout):
		t.Fatal("no signal handler registered")
	}
	sigC <- os.Interrupt
	require.NoError(t, c.wait(t))
}

func TestTLSWritesCAFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	c := start(t, "--addr", "127.0.0.1:0", "--tls")
	url := c.url(t)
	assert.True(t, strings.HasPrefix(url, "wss://127.0.0.1:"), url)
	caLine := c.line(t)
	const prefix = "CA certificate (trust it for wss): "
	require.True(t, strings.HasPrefix(caLine, prefix), caLine)
	caPath := strings.TrimPrefix(caLine, prefix)

	pem, err := os.ReadFile(caPath)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	roundTrip(t, &websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, url)

	c.cancel()
	require.NoError(t, c.wait(t))
	_, err = os.Stat(caPath)
	require.ErrorIs(t, err, os.ErrNotExist, "the CA file is removed on exit")
}

func TestBadAddrFails(t *testing.T) {
	c := start(t, "--addr", "not-an-address")
	err := c.wait(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--addr "not-an-address"`)
}

func TestRejectsArguments(t *testing.T) {
	c := start(t, "extra")
	require.Error(t, c.wait(t))
}

func TestDefaults(t *testing.T) {
	cmd := echocmd.New(tests.NewGlobalTestState(t).GlobalState)
	addr := cmd.Flags().Lookup("addr")
	require.NotNil(t, addr)
	assert.Equal(t, "127.0.0.1:8080", addr.DefValue)
	tlsFlag := cmd.Flags().Lookup("tls")
	require.NotNil(t, tlsFlag)
	assert.Equal(t, "false", tlsFlag.DefValue)
}
