package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realServersEnv opts in to the tests that install third-party servers from
// a package registry: they need the network, so `make test` does not run them.
const realServersEnv = "XK6WS_E2E_REAL_SERVERS"

// socketIOServer is a Socket.IO v4 server as examples/websocket-socketio.js
// expects one: it acknowledges "join" with its data, sends each "chat" event
// back to its sender, pings every 300 ms, and prints the port it listens on.
const socketIOServer = `
const { Server } = require("socket.io");
const http = require("http");
const io = new Server({ pingInterval: 300, pingTimeout: 1000 });
io.on("connection", (socket) => {
  socket.on("join", (data, ack) => ack(data));
  socket.on("chat", (msg) => socket.emit("chat", msg));
});
const server = http.createServer();
io.attach(server);
server.listen(0, "127.0.0.1", () => console.log("listening on " + server.address().port));
`

// TestSocketIOExampleAgainstARealServer installs socket.io@4 from the npm
// registry, starts a real Socket.IO server on 127.0.0.1 and runs
// examples/websocket-socketio.js against it: the Engine.IO handshake, the
// namespace connect, events, acks and heartbeats must all work with a server
// this project did not write. Opt in with XK6WS_E2E_REAL_SERVERS=1; the test
// is skipped, saying why, without node and npm or without the registry.
func TestSocketIOExampleAgainstARealServer(t *testing.T) {
	requireNode(t, "socket.io@4")
	dir := t.TempDir()
	installNodePackage(t, dir, "socket.io@4")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "server.js"), []byte(socketIOServer), 0o600))
	port := startNodeServer(t, dir)

	run := RunK6(t, Options{
		Script: filepath.Join("examples", "websocket-socketio.js"),
		Env: map[string]string{
			"WS_URL":       "ws://127.0.0.1:1", // unused: the example talks to SOCKETIO_URL
			"SOCKETIO_URL": "ws://127.0.0.1:" + port + "/socket.io/?EIO=4&transport=websocket",
			"DURATION":     "3s",
		},
	})

	require.Equal(t, 0, run.ExitCode, "k6's exit code (99: a threshold failed); stderr:\n%s", run.Stderr)
	checks := run.Summary.Checks()
	require.NotEmpty(t, checks, "the example ran no check")
	for _, c := range checks {
		assert.Positive(t, c.Passes, "check %q never passed", c.Path)
		assert.Zero(t, c.Fails, "check %q failed %d of %d times", c.Path, c.Fails, c.Passes+c.Fails)
	}
	assert.Positive(t, run.Summary.Metric("ws_sessions")["count"], "ws_sessions")
	assert.Positive(t, run.Summary.Metric("socketio_heartbeats")["count"], "pings answered")
}

// requireNode skips the test unless it was opted in to and node and npm
// are installed; pkg is what it would install.
func requireNode(t *testing.T, pkg string) {
	t.Helper()
	if os.Getenv(realServersEnv) == "" {
		t.Skipf("set %s=1 to run it: it installs %s from the npm registry", realServersEnv, pkg)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: it runs the server", tool)
		}
	}
}

// installNodePackage runs `npm install pkg` in dir, skipping the test when
// the registry cannot be reached.
func installNodePackage(t *testing.T, dir, pkg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	ping := exec.CommandContext(ctx, "npm", "ping")
	ping.Dir = dir
	if out, err := ping.CombinedOutput(); err != nil {
		t.Skipf("the npm registry cannot be reached (npm ping: %v): %s", err, out)
	}
	install := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--no-save", pkg)
	install.Dir = dir
	out, err := install.CombinedOutput()
	require.NoError(t, err, "npm install %s:\n%s", pkg, out)
}

// startNodeServer runs `node server.js` in dir until the test ends and
// returns the port it prints as "listening on PORT" (within 30 seconds).
func startNodeServer(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", "server.js") // killed when the test ends
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), "starting node server.js")

	ports := make(chan string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if port, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
				ports <- port
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // until node exits
	}()
	t.Cleanup(func() {
		<-readDone     // the test's context is done: node was killed
		_ = cmd.Wait() // "signal: killed" is the expected end
	})

	select {
	case port := <-ports:
		return port
	case <-readDone:
		select {
		case port := <-ports:
			return port
		default:
			t.Fatal("node server.js exited before printing its port")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node server.js printed no port within 30s")
	}
	return ""
}
