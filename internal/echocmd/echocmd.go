// Package echocmd is the `k6 x ws-echo` subcommand: it runs the xk6-ws echo
// server (internal/echoserver) as a zero-setup WebSocket target until the
// command is interrupted.
package echocmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"go.k6.io/k6/cmd/state"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

const defaultAddr = "127.0.0.1:8080"

// New returns the cobra command for `k6 x ws-echo`. Its signature matches
// go.k6.io/k6/subcommand.Constructor.
func New(gs *state.GlobalState) *cobra.Command {
	var (
		addr   string
		useTLS bool
	)
	cmd := &cobra.Command{
		Use:   "ws-echo",
		Short: "Run a local WebSocket echo server to test scripts against",
		Long: `Run the xk6-ws echo server: a WebSocket target with routes that echo, push,
broadcast, close with chosen codes, refuse handshakes and misbehave on purpose.
It prints its URL and routes, and serves until interrupted (Ctrl+C).`,
		Example: "  " + gs.BinaryName + " x ws-echo\n  " +
			gs.BinaryName + " x ws-echo --addr 127.0.0.1:9000 --tls",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := runContext(cmd.Context(), gs)
			defer stop()
			return run(ctx, gs.Stdout, addr, useTLS, gs.Logger.Debugf)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", defaultAddr, "TCP address to listen on")
	cmd.Flags().BoolVar(&useTLS, "tls", false,
		"serve wss with a generated certificate; its CA is written to a temporary file")
	return cmd
}

// runContext is a context that ends with k6's context, with the command's,
// or at SIGINT/SIGTERM. stop releases the signal handler and its goroutine.
func runContext(cmdCtx context.Context, gs *state.GlobalState) (ctx context.Context, stop func()) {
	base := gs.Ctx
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithCancel(base)
	stopAfter := func() bool { return false }
	if cmdCtx != nil {
		stopAfter = context.AfterFunc(cmdCtx, cancel)
	}
	sigC := make(chan os.Signal, 1)
	gs.SignalNotify(sigC, os.Interrupt, syscall.SIGTERM)
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-sigC:
			cancel()
		case <-ctx.Done():
		}
	})
	return ctx, func() {
		gs.SignalStop(sigC)
		cancel()
		wg.Wait()
		stopAfter()
	}
}

// run serves until ctx ends, printing the URL (and, with TLS, where the CA
// certificate is) and the routes to out.
func run(ctx context.Context, out io.Writer, addr string, useTLS bool, logf func(string, ...any)) (err error) {
	opts := echoserver.Options{Addr: addr, Logf: logf}
	if useTLS {
		opts.TLS = &echoserver.TLSOptions{}
	}
	srv, err := echoserver.Start(opts)
	if err != nil {
		return fmt.Errorf("ws-echo --addr %q: %w", addr, err)
	}
	defer func() {
		if closeErr := srv.Close(); closeErr != nil && err == nil {
			err = fmt.Errorf("ws-echo: stop server: %w", closeErr)
		}
	}()
	caPath := ""
	if useTLS {
		if caPath, err = writeCA(srv.CACertPEM()); err != nil {
			return err
		}
		defer func() { _ = os.Remove(caPath) }() // best effort: it is a temporary file
	}
	if err := printBanner(out, srv.URL(), caPath); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// writeCA writes the CA certificate to a new temporary file.
func writeCA(pem []byte) (string, error) {
	f, err := os.CreateTemp("", "xk6-ws-echo-ca-*.pem")
	if err != nil {
		return "", fmt.Errorf("ws-echo: create CA certificate file: %w", err)
	}
	_, err = f.Write(pem)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = os.Remove(f.Name()) // best effort: the file is unusable anyway
		return "", fmt.Errorf("ws-echo: write CA certificate file: %w", err)
	}
	return f.Name(), nil
}

func printBanner(out io.Writer, url, caPath string) error {
	banner := "xk6-ws echo server listening on " + url + "\n"
	if caPath != "" {
		banner += "CA certificate (trust it for wss): " + caPath + "\n"
	}
	banner += "\n" + echoserver.HelpText()
	if _, err := io.WriteString(out, banner); err != nil {
		return fmt.Errorf("ws-echo: print banner: %w", err)
	}
	return nil
}
