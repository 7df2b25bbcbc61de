package e2e

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loadkit/xk6-ws/internal/echoserver"
)

// The network-fault tests put Toxiproxy (see faultInjector) between k6 and
// the echo server and run the scripts of the repository's testdata/netfault,
// once per API: each script logs what a case saw as a "RESULT {json}" console line, and
// the tests check those records, the metrics and the echo server's counts.
// Every run is bounded by the harness's timeout and every session by a
// guard timer of its script. The soak variant (netfault_soak_test.go, build
// tag soak) runs the same tests with more VUs and bigger transfers.

// Scripts of the network-fault tests, one per API, and the crowd of both.
const (
	netfaultSocketAPI      = "testdata/netfault/socket-api.js"
	netfaultWebSocketClass = "testdata/netfault/websocket-class.js"
	netfaultCrowd          = "testdata/netfault/crowd.js"
)

// Latency and jitter of the echo and crowd proxies, both ways, in ms.
const (
	netfaultLatencyMs = 50
	netfaultJitterMs  = 20
)

// netfaultResult is what a script logged about one case.
type netfaultResult struct {
	Name     string   `json:"name"`
	Events   []string `json:"events"`
	Errors   []string `json:"errors"`
	Sent     int      `json:"sent"`
	Messages int      `json:"messages"`
	Corrupt  int      `json:"corrupt"`
	Pongs    int      `json:"pongs"`
	Code     int      `json:"code"`
	Clean    bool     `json:"clean"`
	Ms       int64    `json:"ms"`
	// k6/ws only: the Response of ws.connect.
	Status int    `json:"status"`
	Error  string `json:"error"`
}

// lastError is the last error the case saw: of an error event, or else of
// the k6/ws Response.
func (r netfaultResult) lastError() string {
	if len(r.Errors) > 0 {
		return r.Errors[len(r.Errors)-1]
	}
	return r.Error
}

// echoSizes are the payload sizes of the echo case (ECHO_SIZES in
// common.js), each sent as text and as binary.
var echoSizes = []int{1, 125, 126, 65535, 65536, 200 << 10}

// segments are the sizes of the TCP segments a slicer toxic cuts: average
// bytes, give or take variation.
type segments struct {
	average, variation int
}

// Segment sizes: tiny, as the soak tests and the crowd use them, and a
// little larger for the echo of `make test`, which sends 1.3 MB through
// the slicer (Toxiproxy, built with -race in the test process, spends
// about 0.1 ms on each segment).
var (
	tinySegments  = segments{average: 7, variation: 3}
	smallSegments = segments{average: 32, variation: 24}
)

// jitteryTinySegments are the toxics of the echo and crowd proxies: latency
// with jitter, then TCP segments of size seg, both ways.
func jitteryTinySegments(seg segments) []toxic {
	latency := toxic{Name: "latency", Type: "latency",
		Attributes: map[string]int{"latency": netfaultLatencyMs, "jitter": netfaultJitterMs}}
	slicer := toxic{Name: "slicer", Type: "slicer",
		Attributes: map[string]int{"average_size": seg.average, "size_variation": seg.variation, "delay": 0}}
	return append(bothWays(latency), bothWays(slicer)...)
}

// runNetfault runs a network-fault script with JSON logs, k6's REST API on
// a free port, and env, and returns the run and its records by case name,
// each logged in the test.
func runNetfault(t *testing.T, script string, env map[string]string, timeout time.Duration) (Run, map[string]netfaultResult) {
	t.Helper()
	args := []string{"--log-format", "json", "--address", "127.0.0.1:0"}
	run := RunK6(t, Options{Script: script, Env: env, Args: args, Timeout: timeout})
	results := consoleRecords[netfaultResult](t, run, "RESULT ")
	for name := range results {
		record, err := json.Marshal(results[name])
		require.NoError(t, err)
		t.Logf("%s: %s", name, record)
	}
	return run, results
}

func TestNetFaultEchoSocketAPI(t *testing.T) {
	t.Parallel()
	testNetFaultEcho(t, netfaultSocketAPI, smallSegments, 0)
}

func TestNetFaultEchoWebSocketClass(t *testing.T) {
	t.Parallel()
	testNetFaultEcho(t, netfaultWebSocketClass, smallSegments, 0)
}

// testNetFaultEcho echoes every size of echoSizes as text and binary through
// latency with jitter and TCP segments of size seg: every echo comes back
// byte-exact and in order, and ws_ping holds the round trip of the latency.
// timeout bounds the run (RunK6's default when zero).
func testNetFaultEcho(t *testing.T, script string, seg segments, timeout time.Duration) {
	srv := StartEchoServer(t, echoserver.Options{})
	faults := startFaultInjector(t)
	addr := faults.proxy(t, "echo", srv.Addr(), jitteryTinySegments(seg)...)

	run, results := runNetfault(t, script, map[string]string{"CASE": "echo", "WS_URL": "ws://" + addr}, timeout)

	requireCleanRun(t, run, 0)
	require.Contains(t, results, "echo")
	r := results["echo"]
	messages := 2 * len(echoSizes)
	assert.Equal(t, []string{"open", "close"}, r.Events, "no error event")
	assert.Empty(t, r.Errors)
	assert.Equal(t, 1000, r.Code)
	assert.Equal(t, messages, r.Sent)
	assert.Equal(t, messages, r.Messages, "every message came back")
	assert.Zero(t, r.Corrupt, "every echo is byte-exact and in its place")
	assert.Equal(t, 3, r.Pongs)

	var payload int64
	for _, n := range echoSizes {
		payload += 2 * int64(n)
	}
	stats := srv.Stats()
	assert.EqualValues(t, messages, stats.MessagesReceived)
	assert.Equal(t, payload, stats.BytesReceived, "the server got every byte")
	assert.Equal(t, payload, stats.BytesSent)

	requireWholeNetfaultSession(t, run, "echo")
	requireMessageCounts(t, run, "echo", messages, messages)
	pings := pointValues(run.Points, metricPing, HasTags(map[string]string{"case": "echo"}))
	require.Len(t, pings, 3, "one ws_ping per pong")
	minRTT := float64(2 * (netfaultLatencyMs - netfaultJitterMs))
	for _, rtt := range pings {
		assert.GreaterOrEqual(t, rtt, minRTT, "ws_ping (ms) holds the latency of both ways")
	}
}

// pointValues are the values of the samples of metric that pass filter.
func pointValues(points []Point, metric string, filter func(map[string]string) bool) []float64 {
	var values []float64
	for _, p := range points {
		if p.Metric == metric && (filter == nil || filter(p.Tags)) {
			values = append(values, p.Value)
		}
	}
	return values
}

// requireWholeNetfaultSession checks that the session tagged case=name was
// counted once in ws_sessions, ws_connecting and ws_session_duration.
func requireWholeNetfaultSession(t *testing.T, run Run, name string) {
	t.Helper()
	ofCase := HasTags(map[string]string{"case": name})
	assert.InDelta(t, 1.0, SumPoints(run.Points, metricSessions, ofCase), 0, "%s: counted once in ws_sessions", name)
	assert.Equal(t, 1, CountPoints(run.Points, metricConnect, ofCase), "%s: one ws_connecting", name)
	assert.Equal(t, 1, CountPoints(run.Points, metricDuration, ofCase), "%s: one ws_session_duration", name)
}

// streamLoad is a transfer through a bandwidth limit: count messages of
// size bytes each way, at rate kB/s each way, the most memory k6 may hold
// resident meanwhile, and the bound of the run (RunK6's default when zero).
type streamLoad struct {
	count, size int
	rateKBps    int
	maxRSS      int64
	timeout     time.Duration
}

// shortStream is the transfer of `make test`: 16 MiB each way at 16 MB/s.
// Its memory bound is loose, for a busy CI machine; the soak variant moves
// more than the bound each way.
var shortStream = streamLoad{count: 256, size: 64 << 10, rateKBps: 16000, maxRSS: 256 << 20}

// The bandwidth tests do not run in parallel: a k6 starved of CPU by the
// tests around it collects its garbage late, and its peak RSS then measures
// that rather than what it holds.

func TestNetFaultBandwidthSocketAPI(t *testing.T) {
	testNetFaultBandwidth(t, netfaultSocketAPI, shortStream)
}

func TestNetFaultBandwidthWebSocketClass(t *testing.T) {
	testNetFaultBandwidth(t, netfaultWebSocketClass, shortStream)
}

// testNetFaultBandwidth echoes a stream of messages, a few in flight,
// through a bandwidth limit both ways: every message comes back in order,
// the session lasts at least what the limit allows, ends with the last
// echo, and k6's memory stays bounded.
func testNetFaultBandwidth(t *testing.T, script string, load streamLoad) {
	srv := StartEchoServer(t, echoserver.Options{})
	faults := startFaultInjector(t)
	limit := toxic{Name: "bandwidth", Type: "bandwidth", Attributes: map[string]int{"rate": load.rateKBps}}
	addr := faults.proxy(t, "stream", srv.Addr(), bothWays(limit)...)

	run, results := runNetfault(t, script, map[string]string{
		"CASE": "stream", "WS_URL": "ws://" + addr,
		"STREAM_COUNT": strconv.Itoa(load.count), "STREAM_SIZE": strconv.Itoa(load.size),
	}, load.timeout)

	requireCleanRun(t, run, 0)
	require.Contains(t, results, "stream")
	r := results["stream"]
	assert.Equal(t, []string{"open", "close"}, r.Events, "no error event, no guard timeout")
	assert.Equal(t, 1000, r.Code)
	assert.Equal(t, load.count, r.Messages, "every message came back")
	assert.Zero(t, r.Corrupt, "every echo is byte-exact and in order")

	total := int64(load.count) * int64(load.size)
	stats := srv.Stats()
	assert.Equal(t, total, stats.BytesReceived)
	assert.Equal(t, total, stats.BytesSent)

	requireWholeNetfaultSession(t, run, "stream")
	requireMessageCounts(t, run, "stream", load.count, load.count)
	// The limit held: at rate kB/s, that is rate bytes per ms, the stream
	// takes at least total/rate ms each way (10% off for timer rounding).
	minMs := 0.9 * float64(total) / float64(load.rateKBps)
	durations := pointValues(run.Points, metricDuration, HasTags(map[string]string{"case": "stream"}))
	require.Len(t, durations, 1)
	assert.GreaterOrEqual(t, durations[0], minMs, "ws_session_duration (ms) under the bandwidth limit")
	if run.PeakRSS > 0 {
		assert.Less(t, run.PeakRSS, load.maxRSS, "k6's peak RSS while %d MiB go each way", total>>20)
	}
	t.Logf("peak RSS of k6: %d MiB for %d MiB each way", run.PeakRSS>>20, total>>20)
}

func TestNetFaultsSocketAPI(t *testing.T) {
	t.Parallel()
	run, results := runFaultCases(t, netfaultSocketAPI)
	requireFaultCases(t, run, results, true)
}

func TestNetFaultsWebSocketClass(t *testing.T) {
	t.Parallel()
	run, results := runFaultCases(t, netfaultWebSocketClass)
	requireFaultCases(t, run, results, false)
	for name, r := range results {
		assert.False(t, r.Clean, "%s: no fault ends a socket cleanly", name)
	}
}

// runFaultCases runs the FAULT_CASES of a script, each through its own
// proxy: "cut" closes the connection after 100 kB towards k6; "drop" has a
// dormant reset_peer toxic that the script arms; "stall" has none (the
// script adds timeout toxics); "slow-handshake" delays everything sent to
// the server by 3s.
func runFaultCases(t *testing.T, script string) (Run, map[string]netfaultResult) {
	t.Helper()
	srv := StartEchoServer(t, echoserver.Options{})
	faults := startFaultInjector(t)
	env := map[string]string{"CASE": "faults", "TOXIPROXY_URL": faults.URL(), "WS_URL": srv.URL()}
	proxies := map[string][]toxic{
		"cut": {{Name: "cut", Type: "limit_data", Stream: "downstream", Attributes: map[string]int{"bytes": 100000}}},
		"drop": {{Name: "drop", Type: "reset_peer", Stream: "downstream", Dormant: true,
			Attributes: map[string]int{"timeout": 0}}},
		"stall":          nil,
		"slow-handshake": {{Name: "slow", Type: "latency", Stream: "upstream", Attributes: map[string]int{"latency": 3000}}},
	}
	for name, toxics := range proxies {
		env["PROXY_"+strings.ReplaceAll(strings.ToUpper(name), "-", "_")] = faults.proxy(t, name, srv.Addr(), toxics...)
	}
	return runNetfault(t, script, env, 0)
}

// requireFaultCases checks what each fault case saw. socketAPI tells that
// the results come from k6/ws, where a failed handshake is the Response
// of ws.connect instead of error and close events.
func requireFaultCases(t *testing.T, run Run, results map[string]netfaultResult, socketAPI bool) {
	t.Helper()
	requireCleanRun(t, run, 0)
	want := map[string]faultWant{
		"cut":            {events: "open,error,close", code: 1006, failure: "the connection was dropped without a close frame"},
		"drop":           {events: "open,message,message,message,error,close", code: 1006, failure: "connection reset by peer"},
		"stall":          {events: "open,message,error,close", code: 1006, failure: "close handshake timed out: the peer did not answer within 1s"},
		"slow-handshake": {events: "error,close", code: 1006, failure: `timed out after 1s \(handshakeTimeout\)`},
	}
	if socketAPI {
		want["slow-handshake"] = faultWant{events: "", code: 0, failure: `timed out after 1s \(handshakeTimeout\)`}
	}
	require.Len(t, results, len(want), "one record per case")
	for name, w := range want {
		r, ok := results[name]
		if !assert.True(t, ok, "no record of case %s", name) {
			continue
		}
		assert.Regexp(t, "^"+w.events+"$", strings.Join(r.Events, ","), "%s: events", name)
		assert.Equal(t, w.code, r.Code, "%s: close code", name)
		assert.Regexp(t, w.failure, r.lastError(), "%s: the error says what happened", name)
		assert.Zero(t, r.Corrupt, "%s: what arrived is what was sent", name)
		if socketAPI {
			wantStatus := 101
			if w.events == "" {
				wantStatus = 0
			}
			assert.Equal(t, wantStatus, r.Status, "%s: Response.status", name)
		}
		requireWholeNetfaultSession(t, run, name)
		requireMessageCounts(t, run, name, r.Sent, r.Messages)
	}
	assert.Equal(t, 4, results["drop"].Sent, "the fourth message went out before the reset")
	assert.Zero(t, results["cut"].Messages, "no part of the cut message is delivered")
	// The stall ends at closeTimeout and the slow handshake at
	// handshakeTimeout, not before.
	assert.GreaterOrEqual(t, results["stall"].Ms, int64(1000), "stall: close waited for closeTimeout")
	assert.GreaterOrEqual(t, results["slow-handshake"].Ms, int64(1000), "slow-handshake: waited for handshakeTimeout")
}

// crowdLoad is how many VUs of each API echo through latency and tiny
// segments, for how long, and the bound of the run (RunK6's default when
// zero).
type crowdLoad struct {
	vusPerAPI int
	duration  string
	timeout   time.Duration
}

// shortCrowd is the crowd of `make test`: 20 VUs in all for 3s.
var shortCrowd = crowdLoad{vusPerAPI: 10, duration: "3s"}

func TestNetFaultCrowd(t *testing.T) {
	t.Parallel()
	testNetFaultCrowd(t, shortCrowd)
}

// testNetFaultCrowd runs VUs of both APIs that echo through latency and
// tiny TCP segments until the duration ends, cut by gracefulStop 0s: the
// run ends, no message is corrupted, and for each API ws_sessions,
// ws_connecting and ws_session_duration have as many samples.
func testNetFaultCrowd(t *testing.T, load crowdLoad) {
	srv := StartEchoServer(t, echoserver.Options{})
	faults := startFaultInjector(t)
	addr := faults.proxy(t, "crowd", srv.Addr(), jitteryTinySegments(tinySegments)...)

	run, _ := runNetfault(t, netfaultCrowd, map[string]string{
		"WS_URL": "ws://" + addr, "VUS_PER_API": strconv.Itoa(load.vusPerAPI), "DURATION": load.duration,
	}, load.timeout)

	requireCleanRun(t, run, 0)
	assert.Zero(t, SumPoints(run.Points, "netfault_corrupt", nil), "every echo is the message sent")
	for _, scenario := range []string{"socketAPI", "webSocketClass"} {
		of := HasTags(map[string]string{"scenario": scenario})
		sessions := CountPoints(run.Points, metricSessions, of)
		assert.Positive(t, sessions, "%s: sessions ran", scenario)
		assert.Equal(t, sessions, CountPoints(run.Points, metricConnect, of), "%s: a ws_connecting per ws_sessions", scenario)
		assert.Equal(t, sessions, CountPoints(run.Points, metricDuration, of), "%s: a ws_session_duration per ws_sessions", scenario)
		t.Logf("%s: %d sessions", scenario, sessions)
	}
}
