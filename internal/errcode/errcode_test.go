package errcode_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib/netext"
	"go.uber.org/goleak"

	"github.com/loadkit/xk6-ws/internal/conn"
	"github.com/loadkit/xk6-ws/internal/errcode"
	"github.com/loadkit/xk6-ws/internal/wstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func opErr(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError("syscall", errno)}
}

func TestOfGivesK6sCodeForEachCause(t *testing.T) {
	t.Parallel()
	dialTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		name   string
		err    error
		status int
		want   errcode.Code
	}{
		{"no error", nil, 0, 0},
		{"429", errors.New("bad handshake"), 429, 1429},
		{"503", errors.New("bad handshake"), 503, 1503},
		{"200 instead of 101", errors.New("bad handshake"), 200, errcode.NoUpgrade},
		{"302 instead of 101", errors.New("bad handshake"), 302, errcode.NoUpgrade},
		{"timeout after TCP", fmt.Errorf("%w: malformed HTTP response", conn.ErrHandshakeTimeout), 0, 1050},
		{"timeout while dialling", fmt.Errorf("%w: %w", conn.ErrHandshakeTimeout, dialTimeout), 0, 1211},
		{"no such host", &net.DNSError{Err: "no such host", IsNotFound: true}, 0, 1101},
		{"DNS", &net.DNSError{Err: "server misbehaving"}, 0, 1100},
		{"blacklisted", fmt.Errorf("dial: %w", netext.BlackListedIPError{}), 0, 1110},
		{"blocked", fmt.Errorf("dial: %w", netext.BlockedHostError{}), 0, 1111},
		{"refused", opErr("dial", syscall.ECONNREFUSED), 0, 1212},
		{"dial, other errno", opErr("dial", syscall.EHOSTUNREACH), 0, 1213},
		{"dial timeout from the system", dialTimeout, 0, 1211},
		{"dial, no errno", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("x")}, 0, 1210},
		{"reset", opErr("read", syscall.ECONNRESET), 0, 1220},
		{"broken pipe", opErr("write", syscall.EPIPE), 0, 1201},
		{"read, other errno", opErr("read", syscall.EIO), 0, 1202},
		{"read, no errno", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("x")}, 0, 1200},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, 0, 1310},
		{"hostname", &tls.CertificateVerificationError{Err: x509.HostnameError{}}, 0, 1311},
		{"not TLS", tls.RecordHeaderError{}, 0, 1301},
		{"TLS alert", fmt.Errorf("remote error: %w", tls.AlertError(40)), 0, 1300},
		{"URL", &url.Error{Op: "parse", URL: "ws://%", Err: errors.New("invalid")}, 0, 1020},
		{"EOF", io.ErrUnexpectedEOF, 0, 1000},
	} {
		assert.Equal(t, tc.want, errcode.Of(tc.err, tc.status), tc.name)
	}
}

// The codes of real handshakes: the connection core's errors carry what Of
// needs.
func TestOfReadsTheConnectionCoresErrors(t *testing.T) {
	t.Parallel()
	silent, _ := wstest.SilentListener(t)
	_, hs, err := conn.Dial(context.Background(), conn.Target{URL: silent},
		conn.Options{HandshakeTimeout: 100 * time.Millisecond}, func() {})
	require.Error(t, err)
	assert.Equal(t, errcode.Timeout, errcode.Of(err, hs.Status))

	// A listener that reads the request and resets the connection.
	reset := wstest.HoldingListener(t, func(c net.Conn) error {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return err
		}
		tcp, ok := c.(*net.TCPConn)
		if !ok {
			return errors.New("not a TCP connection")
		}
		if err := tcp.SetLinger(0); err != nil {
			return err
		}
		return c.Close()
	})
	_, hs, err = conn.Dial(context.Background(), conn.Target{URL: reset},
		conn.Options{HandshakeTimeout: 10 * time.Second}, func() {})
	require.Error(t, err)
	assert.Equal(t, errcode.Reset, errcode.Of(err, hs.Status))
}
