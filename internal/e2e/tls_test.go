package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// The TLS tests run wss sessions of both APIs against TLS echo servers,
// each with a CA of its own. k6 v1.8.1 has no option for a custom CA: it
// verifies servers against the system pool, which Go reads on Linux from
// the file named by SSL_CERT_FILE, so that is how a script trusts a CA.

// tlsScript opens one session per API to each target of TARGETS
// ([{name, url}]) with k6's options from OPTIONS: it sends a message, waits
// for its echo and closes with 1000. It logs "RESULT {name, api, ...}".
const tlsScript = `
import ws from 'k6/ws';
import { WebSocket } from 'k6/websockets';
` + goroutineProbe + `
export const options = Object.assign({ vus: 1, iterations: 1 }, JSON.parse(__ENV.OPTIONS));
const targets = JSON.parse(__ENV.TARGETS);

function socketAPI(target) {
	const r = { name: target.name + '/ws', events: [], errors: [] };
	const res = ws.connect(target.url + '/echo', { handshakeTimeout: '5s' }, (socket) => {
		socket.on('open', () => { r.events.push('open'); socket.send('over tls'); });
		socket.on('message', (m) => { r.events.push('message'); r.echo = m; socket.close(1000); });
		socket.on('error', (e) => { r.events.push('error'); r.errors.push(e.error()); });
		socket.on('close', (code) => { r.events.push('close'); r.code = code; });
		socket.setTimeout(() => socket.close(1000), 5000);
	});
	r.status = res.status;
	r.error = res.error;
	console.log('RESULT ' + JSON.stringify(r));
}

function webSocketClass(target) {
	const r = { name: target.name + '/class', events: [], errors: [] };
	const socket = new WebSocket(target.url + '/echo', undefined, { handshakeTimeout: '5s' });
	socket.onopen = () => { r.events.push('open'); socket.send('over tls'); };
	socket.onmessage = (e) => { r.events.push('message'); r.echo = e.data; socket.close(1000); };
	socket.onerror = (e) => { r.events.push('error'); r.errors.push(e.error); };
	socket.onclose = (e) => {
		r.events.push('close');
		r.code = e.code;
		console.log('RESULT ' + JSON.stringify(r));
	};
}

export default function () {
	for (const target of targets) {
		socketAPI(target);
		webSocketClass(target);
	}
}
`

// tlsTarget is a server the script connects to.
type tlsTarget struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// tlsResult is what the script logged about one session.
type tlsResult struct {
	Events []string `json:"events"`
	Errors []string `json:"errors"`
	Echo   string   `json:"echo"`
	Code   int      `json:"code"`
	Status int      `json:"status"`
	Error  string   `json:"error"`
}

// runTLS runs tlsScript against targets with k6 options and extra
// environment, and checks the run ended well with no goroutine left.
func runTLS(t *testing.T, targets []tlsTarget, options map[string]any, env map[string]string) map[string]tlsResult {
	t.Helper()
	targetsJSON, err := json.Marshal(targets)
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(options)
	require.NoError(t, err)
	allEnv := map[string]string{"TARGETS": string(targetsJSON), "OPTIONS": string(optionsJSON), "WS_URL": targets[0].URL}
	for k, v := range env {
		allEnv[k] = v
	}
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, tlsScript, probe.options(Options{Env: allEnv}))
	requireCleanRun(t, run, 0)
	probe.requireNoneLeft(t, run)
	results := consoleRecords[tlsResult](t, run, "RESULT ")
	require.Len(t, results, 2*len(targets), "one result per API and target")
	return results
}

// requireEchoed checks that the sessions of both APIs to target worked.
func requireEchoed(t *testing.T, results map[string]tlsResult, target string) {
	t.Helper()
	for _, api := range []string{"ws", "class"} {
		r := results[target+"/"+api]
		assert.Equal(t, []string{"open", "message", "close"}, r.Events, "%s/%s: events, errors %v %q", target, api, r.Errors, r.Error)
		assert.Equal(t, "over tls", r.Echo, "%s/%s: echo", target, api)
		assert.Equal(t, 1000, r.Code, "%s/%s: close code", target, api)
	}
	assert.Equal(t, 101, results[target+"/ws"].Status)
}

// requireRefused checks that the sessions of both APIs to target failed in
// the handshake with an error matching why.
func requireRefused(t *testing.T, results map[string]tlsResult, target, why string) {
	t.Helper()
	ws := results[target+"/ws"]
	assert.Empty(t, ws.Events, "%s/ws: no handler runs", target)
	assert.Equal(t, 0, ws.Status, "%s/ws: no HTTP response", target)
	assert.Regexp(t, why, ws.Error, "%s/ws: Response.error", target)

	class := results[target+"/class"]
	assert.Equal(t, []string{"error", "close"}, class.Events, "%s/class: events", target)
	assert.Equal(t, 1006, class.Code, "%s/class: close code", target)
	if assert.Len(t, class.Errors, 1, "%s/class", target) {
		assert.Regexp(t, why, class.Errors[0], "%s/class: the error event", target)
	}
}

// startTLS starts a wss echo server for the test.
func startTLS(t *testing.T, requireClientCert bool) *echoserver.Server {
	t.Helper()
	return StartEchoServer(t, echoserver.Options{TLS: &echoserver.TLSOptions{RequireClientCert: requireClientCert}})
}

// trustOnly returns the environment that makes k6 trust the CAs of
// servers and no other: their certificates in the file SSL_CERT_FILE names,
// and an empty SSL_CERT_DIR (Go also reads the directories it lists).
func trustOnly(t *testing.T, servers ...*echoserver.Server) map[string]string {
	t.Helper()
	var pem []byte
	for _, s := range servers {
		pem = append(pem, s.CACertPEM()...)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(path, pem, 0o600))
	empty := filepath.Join(dir, "no-certs")
	require.NoError(t, os.Mkdir(empty, 0o700))
	return map[string]string{"SSL_CERT_FILE": path, "SSL_CERT_DIR": empty}
}

func TestTLSInsecureSkipVerify(t *testing.T) {
	t.Parallel()
	srv := startTLS(t, false)
	results := runTLS(t, []tlsTarget{{Name: "self-signed", URL: srv.URL()}},
		map[string]any{"insecureSkipTLSVerify": true}, nil)
	requireEchoed(t, results, "self-signed")
}

// TestTLSCustomCAAndFailedVerification trusts the CAs of two servers
// through SSL_CERT_FILE: the first works, the second asks for a client
// certificate the script does not have; a third server, whose CA is not
// trusted, fails verification with a clear error.
func TestTLSCustomCAAndFailedVerification(t *testing.T) {
	t.Parallel()
	trusted, wantsCert, untrusted := startTLS(t, false), startTLS(t, true), startTLS(t, false)
	results := runTLS(t, []tlsTarget{
		{Name: "trusted", URL: trusted.URL()},
		{Name: "untrusted", URL: untrusted.URL()},
		{Name: "wants-cert", URL: wantsCert.URL()},
	}, map[string]any{}, trustOnly(t, trusted, wantsCert))

	requireEchoed(t, results, "trusted")
	requireRefused(t, results, "untrusted", `tls: failed to verify certificate: x509: certificate signed by unknown authority`)
	requireRefused(t, results, "wants-cert", `tls: certificate required`)
}

// TestTLSClientCertificate presents the client certificate given in k6's
// tlsAuth option to a server that requires one.
func TestTLSClientCertificate(t *testing.T) {
	t.Parallel()
	srv := startTLS(t, true)
	cert, key := srv.ClientCertPEM()
	results := runTLS(t, []tlsTarget{{Name: "wants-cert", URL: srv.URL()}},
		map[string]any{"tlsAuth": []map[string]any{{"cert": string(cert), "key": string(key)}}},
		trustOnly(t, srv))
	requireEchoed(t, results, "wants-cert")
}
