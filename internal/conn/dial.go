package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loadkit/xk6-ws/internal/vuctx"
)

// maxHandshakeBody bounds how much of a refused handshake's body is kept. gorilla/websocket
// already keeps only the first 1,024 bytes, which is what a script sees; this bound
// holds should a later gorilla/websocket hand over more.
const maxHandshakeBody = 64 << 10

// writeBufferPool is given to gorilla, which never writes a message: with
// a pool, it makes no write buffer of its own for a connection.
var writeBufferPool = &sync.Pool{}

// ErrHandshakeTimeout is in the chain of Dial's error when the opening
// handshake did not end within Options.HandshakeTimeout.
var ErrHandshakeTimeout = errors.New("websocket handshake timed out")

// Dialer is what connections are dialled through: in k6, the VU's
// lib.State.Dialer, which applies hosts, blockHostnames, blacklistIPs and
// counts data_sent and data_received.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Target says where and how to connect.
type Target struct {
	// URL is the ws:// or wss:// address.
	URL string
	// Dialer opens the TCP connection; nil uses net.Dialer.
	Dialer Dialer
	// TLSConfig is cloned for wss; nil uses Go's defaults.
	TLSConfig *tls.Config
}

// Handshake is what the opening handshake returned.
type Handshake struct {
	// Status is the HTTP status code of the response, 0 when none came.
	Status int
	// Header is the response's header, nil when none came.
	Header http.Header
	// Body is the start of the response's body, when it refused the upgrade.
	Body []byte
	// Subprotocol is the subprotocol the server selected.
	Subprotocol string
	// Extensions are the values of the Sec-WebSocket-Extensions header.
	Extensions []string
	// RemoteAddr is the peer's address, nil when no connection was made.
	RemoteAddr net.Addr
	// Start is when dialling began; Duration how long the handshake took.
	Start    time.Time
	Duration time.Duration
}

// Dial opens a WebSocket connection to t with opts. notify is called, from
// another goroutine, whenever events become available after the queue was
// drained; it must not block.
//
// Dial returns the Handshake whether or not it succeeded. The connection
// lives until it closes or ctx ends; when ctx ends it is torn down at once
// with a 1001 (going away) close frame.
func Dial(ctx context.Context, t Target, opts Options, notify func()) (*Conn, Handshake, error) {
	return DialAbandonable(ctx, ctx, t, opts, notify)
}

// DialAbandonable is Dial with a handshake that is also given up when
// abandon ends. abandon must be ctx or a context derived from it. It plays
// no part once the connection is open: the caller may cancel it then, so
// that an open connection keeps no context of its own.
func DialAbandonable(ctx, abandon context.Context, t Target, opts Options, notify func()) (*Conn, Handshake, error) {
	if err := opts.validate(); err != nil {
		return nil, Handshake{}, err
	}
	u, err := url.Parse(t.URL)
	if err == nil && (u.Scheme == "ws" || u.Scheme == "wss") && u.Host == "" {
		return nil, Handshake{}, fmt.Errorf("websocket: url %q has no host", t.URL)
	}
	var tlsCfg *tls.Config // only wss needs one: gorilla ignores it for ws
	if err == nil && u.Scheme == "wss" {
		tlsCfg = tlsConfig(t.TLSConfig)
	}
	opts = opts.withDefaults()

	watch := &dialWatch{dialer: t.Dialer, deflate: opts.Compression}
	dialer := websocket.Dialer{
		NetDialContext:    watch.dialContext,
		Proxy:             http.ProxyFromEnvironment,
		TLSClientConfig:   tlsCfg,
		EnableCompression: opts.Compression,
		Subprotocols:      opts.Subprotocols,
		Jar:               opts.Jar,
		WriteBufferPool:   writeBufferPool,
		ReadBufferSize:    readBufferSize,
	}
	if tlsCfg != nil {
		// TLS is set up below gorillaConn, so that the writer writes frames
		// to it and gorilla cannot, except through a proxy: gorilla then
		// sets TLS up itself, over the proxy's tunnel.
		if viaProxy(u) {
			watch.gorillaTLS = true
		} else {
			watch.tls = tlsCfg
			dialer.NetDialTLSContext = watch.dialTLSContext
		}
	}

	hs := Handshake{Start: time.Now()} // before the deadline is set: a timeout lasts at least HandshakeTimeout
	hctx, cancel := context.WithTimeout(abandon, opts.HandshakeTimeout)
	defer cancel()
	// gorilla only honours the context's deadline once TCP is up: a
	// cancelled context must close the connection to end the handshake.
	stopWatch := context.AfterFunc(hctx, watch.abort)
	ws, resp, err := dialer.DialContext(hctx, t.URL, opts.Header)
	hs.Duration = time.Since(hs.Start)
	if !stopWatch() && err == nil {
		_ = ws.Close()
		err = context.Cause(hctx)
	}
	if resp != nil {
		if watch.gorilla != nil && watch.gorilla.answered != nil { // what the server answered, not what gorilla read
			resp.Header["Sec-Websocket-Extensions"] = watch.gorilla.answered
		}
		hs.Status = resp.StatusCode
		hs.Header = resp.Header
		hs.Extensions = resp.Header.Values("Sec-WebSocket-Extensions")
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols { // an accepted upgrade has no body
			hs.Body, _ = io.ReadAll(io.LimitReader(resp.Body, maxHandshakeBody))
		}
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, hs, handshakeError(ctx, hctx, err, hs, opts.HandshakeTimeout)
	}
	hs.Subprotocol = ws.Subprotocol()
	hs.RemoteAddr = ws.NetConn().RemoteAddr()

	out := net.Conn(watch.conn)
	if watch.gorillaTLS {
		out = ws.NetConn()
	} else {
		watch.gorilla.seal()
	}
	c := newConn(ws, out, watch.conn, negotiatedDeflate(hs.Extensions), opts, notify)
	c.watch(ctx)
	go c.readLoop()
	return c, hs, nil
}

// dialWatch remembers the TCP connection of a handshake so that it can be
// closed when the handshake's context ends. It also holds the connection's
// countingConn, so that a dial allocates one object for both, and the
// gorillaConn around it.
type dialWatch struct {
	dialer  Dialer      // nil dials with net.Dialer
	deflate bool        // permessage-deflate is offered
	tls     *tls.Config // for dialTLSContext
	// gorillaTLS: gorilla sets TLS up over gorillaConn, through a proxy.
	gorillaTLS bool
	mu         sync.Mutex
	tcp        net.Conn      // the TCP connection, once dialled
	conn       *countingConn // &wire once dialled
	gorilla    *gorillaConn
	aborted    bool
	wire       countingConn
}

// viaProxy tells whether gorilla dials the wss:// address u through a proxy.
func viaProxy(u *url.URL) bool {
	proxy, err := http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "https", Host: u.Host}})
	return err != nil || proxy != nil
}

// dialTLSContext dials addr and sets TLS up over it, as gorilla would.
func (w *dialWatch) dialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := w.dialTCP(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := w.tls.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, err = net.SplitHostPort(addr)
		if err != nil {
			cfg.ServerName = addr
		}
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		return nil, err
	}
	if !cfg.InsecureSkipVerify {
		if err := tc.VerifyHostname(cfg.ServerName); err != nil {
			_ = nc.Close()
			return nil, err
		}
	}
	return w.wrap(tc), nil
}

// dialContext dials addr.
func (w *dialWatch) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := w.dialTCP(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return w.wrap(nc), nil
}

// wrap returns the gorillaConn around the countingConn around nc.
func (w *dialWatch) wrap(nc net.Conn) net.Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.wire.Conn = nc
	w.conn = &w.wire
	w.gorilla = newGorillaConn(w.conn, w.deflate && !w.gorillaTLS)
	return w.gorilla
}

// dialTCP dials addr, unless the handshake was abandoned.
func (w *dialWatch) dialTCP(ctx context.Context, network, addr string) (net.Conn, error) {
	var nc net.Conn
	var err error
	if w.dialer != nil {
		nc, err = w.dialer.DialContext(ctx, network, addr)
	} else {
		var d net.Dialer
		nc, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.aborted {
		_ = nc.Close()
		return nil, fmt.Errorf("dialing %s: %w", addr, context.Canceled)
	}
	w.tcp = nc
	return nc, nil
}

func (w *dialWatch) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = true
	if w.tcp != nil {
		_ = w.tcp.Close()
	}
}

// tlsConfig clones base and pins ALPN to HTTP/1.1: the upgrade needs it.
func tlsConfig(base *tls.Config) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		cfg = base.Clone()
	}
	cfg.NextProtos = []string{"http/1.1"}
	return cfg
}

// handshakeError explains why the handshake failed, keeping gorilla's error
// in the chain. When ctx, the VU's, has ended, the failure is an
// interruption, not a timeout: past ctx's deadline the connection's deadline
// (which gorilla sets from hctx, inheriting ctx's when it is earlier) fails
// the handshake a moment before ctx's own timer cancels it.
func handshakeError(ctx, hctx context.Context, err error, hs Handshake, timeout time.Duration) error {
	switch {
	case errors.Is(err, websocket.ErrBadHandshake) && hs.Status != 0:
		return fmt.Errorf("%w: the server answered %d %s instead of 101 Switching Protocols",
			err, hs.Status, http.StatusText(hs.Status))
	case vuctx.Ended(ctx):
		cause := context.Cause(ctx)
		if cause == nil { // the deadline passed; ctx's timer has not fired yet
			cause = context.DeadlineExceeded
		}
		return fmt.Errorf("websocket handshake interrupted: %w", cause)
	case deadlinePassed(hctx) || isTimeout(err):
		return fmt.Errorf("%w after %s (handshakeTimeout): %w", ErrHandshakeTimeout, timeout, err)
	default:
		return err
	}
}

// deadlinePassed tells whether ctx's deadline has passed. The deadline that
// cut a handshake short has, whatever gorilla made of the cut (an i/o
// timeout, or a "malformed HTTP response" when it cut the answer's status
// line), and whether or not ctx's timer has fired yet.
func deadlinePassed(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
