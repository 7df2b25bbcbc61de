package echoserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	defaultAddr       = "127.0.0.1:0"
	readHeaderTimeout = 10 * time.Second
)

// Options configure a server. The zero value serves plain ws on 127.0.0.1
// with a free port.
type Options struct {
	// Addr is the TCP address to listen on; "127.0.0.1:0" when empty.
	Addr string
	// TLS makes the server serve wss with generated certificates; nil
	// serves plain ws.
	TLS *TLSOptions
	// Logf, when set, receives the server's diagnostics (failed handshakes,
	// unexpected connection errors).
	Logf func(format string, args ...any)
}

// TLSOptions configure a wss server.
type TLSOptions struct {
	// RequireClientCert makes the server refuse clients that do not present
	// a certificate signed by its CA (see ClientCertPEM).
	RequireClientCert bool
}

// Server is a running echo server.
type Server struct {
	handler    *Handler
	httpServer *http.Server
	addr       string
	tls        *tlsMaterial
	serveDone  chan struct{}
	connWG     sync.WaitGroup // one per connection the http.Server serves

	closeOnce sync.Once
	closeErr  error
}

// Start listens on opts.Addr and serves the echo routes in the background
// until Close.
func Start(opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = defaultAddr
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("echoserver: listen on %q: %w", addr, err)
	}
	s := &Server{
		handler:   newHandler(logf),
		addr:      ln.Addr().String(),
		serveDone: make(chan struct{}),
	}
	if opts.TLS != nil {
		s.tls, err = newTLSMaterial(*opts.TLS, time.Now())
		if err != nil {
			_ = ln.Close() // nothing was served on it
			return nil, fmt.Errorf("echoserver: %w", err)
		}
		ln = tls.NewListener(ln, s.tls.config)
	}
	s.httpServer = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ConnState:         s.trackConnState,
		ErrorLog:          log.New(logWriter(logf), "echoserver: ", 0),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	go s.serve(ln, logf)
	return s, nil
}

func (s *Server) serve(ln net.Listener, logf func(string, ...any)) {
	defer close(s.serveDone)
	if err := s.httpServer.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		logf("echoserver: serve: %v", err)
	}
}

// trackConnState counts the connections the http.Server serves, so Close
// can wait for their goroutines; a hijacked one becomes the handler's.
func (s *Server) trackConnState(_ net.Conn, state http.ConnState) {
	switch state { //nolint:exhaustive // only the start and the two ends matter
	case http.StateNew:
		s.connWG.Add(1)
	case http.StateHijacked, http.StateClosed:
		s.connWG.Done()
	}
}

// URL is the server's WebSocket base URL, like "ws://127.0.0.1:PORT" or
// "wss://127.0.0.1:PORT", without a trailing slash.
func (s *Server) URL() string {
	if s.tls != nil {
		return "wss://" + s.dialAddr()
	}
	return "ws://" + s.dialAddr()
}

// HTTPURL is the server's HTTP base URL, like "http://127.0.0.1:PORT" (or
// https for a TLS server), without a trailing slash.
func (s *Server) HTTPURL() string {
	if s.tls != nil {
		return "https://" + s.dialAddr()
	}
	return "http://" + s.dialAddr()
}

// Addr is the address the server listens on, like "127.0.0.1:PORT".
func (s *Server) Addr() string {
	return s.addr
}

// dialAddr is Addr with an unspecified IP replaced by loopback.
func (s *Server) dialAddr() string {
	host, port, err := net.SplitHostPort(s.addr)
	if err != nil {
		return s.addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	return s.handler.Stats()
}

// CACertPEM is the PEM of the CA that signed the server and client
// certificates of a TLS server; nil for plain ws.
func (s *Server) CACertPEM() []byte {
	if s.tls == nil {
		return nil
	}
	return slices.Clone(s.tls.caPEM)
}

// ClientCertPEM is a client certificate and its PKCS#8 key, PEM encoded,
// signed by the server's CA, for TLS client authentication; nil for plain
// ws.
func (s *Server) ClientCertPEM() (cert, key []byte) {
	if s.tls == nil {
		return nil, nil
	}
	return slices.Clone(s.tls.clientCertPEM), slices.Clone(s.tls.clientKeyPEM)
}

// Close stops the listener, closes every open connection (hijacked and
// upgraded ones too) and waits until all of the server's goroutines have
// returned. Later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.httpServer.Close()
		<-s.serveDone
		s.handler.Close()
		s.connWG.Wait()
		if err != nil {
			s.closeErr = fmt.Errorf("echoserver: close: %w", err)
		}
	})
	return s.closeErr
}

// logWriter turns the http.Server's error log into Logf calls.
type logWriter func(format string, args ...any)

func (l logWriter) Write(p []byte) (int, error) {
	l("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
