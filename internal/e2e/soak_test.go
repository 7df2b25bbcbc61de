//go:build soak

package e2e

import (
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// The soak tests hold a large load for 30 seconds and check that no message
// is lost or duplicated: what k6 counts as sent and received equals what the
// echo server counts as received and sent, exactly. They run with
// `make soak` (build tag soak), not with `make test`.

// soakWebSocketClass opens SOCKETS_PER_VU sockets in each VU (all of them
// open at once), each sending a message every second for HOLD_S seconds;
// a socket closes with 1000 once every message it sent came back.
const soakWebSocketClass = `
import { WebSocket } from 'k6/websockets';
import { Counter } from 'k6/metrics';
` + goroutineProbe + `
const perVU = Number(__ENV.SOCKETS_PER_VU);
const holdMs = Number(__ENV.HOLD_S) * 1000;
const faults = new Counter('soak_faults');
const clean = new Counter('soak_clean_closes');

export const options = {
	scenarios: {
		sockets: { executor: 'per-vu-iterations', vus: Number(__ENV.VUS), iterations: 1, maxDuration: '3m' },
	},
};

function open(i) {
	const socket = new WebSocket(__ENV.WS_URL + '/echo');
	let sent = 0;
	let received = 0;
	let sending = true;
	let ticker;
	const stop = setTimeout(() => {
		sending = false;
		clearInterval(ticker);
		if (received === sent) { socket.close(1000); }
	}, holdMs);
	socket.onopen = () => {
		ticker = setInterval(() => { socket.send('vu ' + __VU + ' socket ' + i + ' message ' + sent); sent++; }, 1000);
	};
	socket.onmessage = () => {
		received++;
		if (!sending && received === sent) { socket.close(1000); }
	};
	socket.onerror = (e) => {
		faults.add(1);
		console.log('FAULT ' + e.error);
	};
	socket.onclose = (e) => {
		clearTimeout(stop);
		clearInterval(ticker);
		if (e.code === 1000 && e.wasClean && received === sent) { clean.add(1); }
	};
}

export default function () {
	for (let i = 0; i < perVU; i++) { open(i); }
}
`

// soakSocketAPI runs VUS VUs of k6/ws for DURATION: each iteration is one
// session that sends a message every 500ms, ten in all, and closes with
// 1000 once the ten came back. gracefulStop lets the last ones finish.
const soakSocketAPI = `
import ws from 'k6/ws';
import { Counter } from 'k6/metrics';
` + goroutineProbe + `
const faults = new Counter('soak_faults');
const clean = new Counter('soak_clean_closes');

export const options = {
	scenarios: {
		sessions: { executor: 'constant-vus', vus: Number(__ENV.VUS), duration: __ENV.DURATION, gracefulStop: '30s' },
	},
};

export default function () {
	let sent = 0;
	let received = 0;
	ws.connect(__ENV.WS_URL + '/echo', (socket) => {
		socket.on('open', () => {
			socket.setInterval(() => {
				if (sent < 10) { socket.send('vu ' + __VU + ' message ' + sent); sent++; }
			}, 500);
		});
		socket.on('message', () => {
			received++;
			if (received === 10) { socket.close(1000); }
		});
		socket.on('error', (e) => {
			faults.add(1);
			console.log('FAULT ' + e.error());
		});
		socket.on('close', (code) => {
			if (code === 1000 && received === sent) { clean.add(1); }
		});
	});
}
`

// soakFDs is the file descriptor limit the soak tests need: the echo server
// runs in this process and k6 inherits the limit.
const soakFDs = 16384

func TestSoakWebSocketClass5000Sockets(t *testing.T) {
	const vus, perVU = 50, 100
	raiseFileLimit(t, soakFDs)
	srv := StartEchoServer(t, echoserver.Options{})
	peak := watchOpenConnections(t, srv)
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, soakWebSocketClass, probe.options(Options{
		Env: map[string]string{
			"WS_URL": srv.URL(), "VUS": strconv.Itoa(vus), "SOCKETS_PER_VU": strconv.Itoa(perVU), "HOLD_S": "30",
		},
		Timeout: 5 * time.Minute,
	}))
	maxOpen := peak()

	requireCleanRun(t, run, 0)
	probe.requireNoneLeft(t, run)
	requireSoakCounts(t, run, srv, vus*perVU)
	assert.GreaterOrEqual(t, maxOpen, int64(vus*perVU), "all the sockets were open at once")
	t.Logf("5000 sockets: peak %d open, %s", maxOpen, soakNumbers(run, srv))
}

func TestSoakSocketAPI1000VUs(t *testing.T) {
	const vus = 1000
	raiseFileLimit(t, soakFDs)
	srv := StartEchoServer(t, echoserver.Options{})
	peak := watchOpenConnections(t, srv)
	probe := newGoroutineProbe(t)
	run := RunK6Script(t, soakSocketAPI, probe.options(Options{
		Env:     map[string]string{"WS_URL": srv.URL(), "VUS": strconv.Itoa(vus), "DURATION": "30s"},
		Timeout: 5 * time.Minute,
	}))
	maxOpen := peak()

	requireCleanRun(t, run, 0)
	probe.requireNoneLeft(t, run)
	sessions := int(run.Summary.Metric(metricSessions)["count"])
	assert.GreaterOrEqual(t, sessions, 4*vus, "each VU ran session after session (of about 5s) for 30s")
	requireSoakCounts(t, run, srv, sessions)
	assert.InDelta(t, 10*float64(sessions), run.Summary.Metric(metricSent)["count"], 0, "ten messages per session")
	assert.GreaterOrEqual(t, maxOpen, int64(vus*9/10), "about one session per VU at a time")
	t.Logf("1000 VUs: peak %d open, %s", maxOpen, soakNumbers(run, srv))
}

// requireSoakCounts checks that sessions sessions ran and closed cleanly,
// with no fault, and that the message counts of k6 and of the server agree
// exactly.
func requireSoakCounts(t *testing.T, run Run, srv *echoserver.Server, sessions int) {
	t.Helper()
	stats := srv.Stats()
	summary := func(name string) float64 { return run.Summary.Metric(name)["count"] }
	assert.Nil(t, run.Summary.Metric("soak_faults"), "no error event: %v", consoleMessages(t, run, "FAULT "))
	assert.InDelta(t, float64(sessions), summary(metricSessions), 0, "ws_sessions")
	assert.InDelta(t, float64(sessions), summary("soak_clean_closes"), 0, "every session closed cleanly with all its echoes")
	assert.EqualValues(t, sessions, stats.Connections, "the server saw each session once")
	assert.Equal(t, sessions, CountPoints(run.Points, metricDuration, nil), "one ws_session_duration per session")
	assert.Positive(t, stats.MessagesReceived)
	assert.InDelta(t, float64(stats.MessagesReceived), summary(metricSent), 0,
		"ws_msgs_sent equals what the server received: nothing lost or duplicated")
	assert.InDelta(t, float64(stats.MessagesSent), summary(metricReceived), 0,
		"ws_msgs_received equals what the server sent: nothing lost or duplicated")
	assert.Equal(t, stats.MessagesReceived, stats.MessagesSent, "the server echoed every message")
	assert.InDelta(t, summary(metricSent), SumPoints(run.Points, metricSent, nil), 0, "the samples add up to the summary")
}

// soakNumbers describes a soak run for the test log.
func soakNumbers(run Run, srv *echoserver.Server) string {
	stats := srv.Stats()
	count := func(name string) float64 { return run.Summary.Metric(name)["count"] }
	return fmt.Sprintf("sessions %.0f, k6 sent %.0f and received %.0f messages, the server received %d and sent %d, "+
		"ws_connecting p(95) %.1fms, k6 ran %s", count(metricSessions), count(metricSent), count(metricReceived),
		stats.MessagesReceived, stats.MessagesSent, run.Summary.Metric(metricConnect)["p(95)"],
		run.Duration.Round(100*time.Millisecond))
}

// raiseFileLimit raises this process's soft limit of open files to at least
// need (children, k6 included, inherit it), or fails when the hard limit is
// lower.
func raiseFileLimit(t *testing.T, need uint64) {
	t.Helper()
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur >= need {
		return
	}
	require.GreaterOrEqual(t, lim.Max, need, "the hard limit of open files (ulimit -Hn) is too low for the soak test")
	lim.Cur = need
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim), "raising the limit of open files")
}

// watchOpenConnections samples the server's open connections every 100ms
// until the returned function is called, which returns the highest count
// seen. It measures; nothing waits on it.
func watchOpenConnections(t *testing.T, srv *echoserver.Server) func() int64 {
	t.Helper()
	stop := make(chan struct{})
	var (
		wg   sync.WaitGroup
		peak int64
	)
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, srv.Stats().OpenConnections)
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	})
	var once sync.Once
	finish := func() int64 {
		once.Do(func() {
			close(stop)
			wg.Wait()
		})
		return peak
	}
	t.Cleanup(func() { finish() })
	return finish
}
