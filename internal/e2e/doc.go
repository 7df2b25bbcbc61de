// Package e2e holds the end-to-end tests of xk6-ws: they build the k6 binary
// with this extension once, run real k6 scripts with it against a local echo
// server, and assert on what k6 reports (exit code, output, end-of-test
// summary and every metric sample).
//
// # Writing a test
//
// A test is a _test.go file of this package (package e2e, sharing its
// TestMain). It calls [RunK6] with a script from the repository, or
// [RunK6Script] with the script's source, and asserts on the returned [Run]:
//
//	func TestEchoExample(t *testing.T) {
//		t.Parallel()
//		run := RunK6(t, Options{Script: "examples/echo.js"})
//		require.Equal(t, 0, run.ExitCode)
//		require.Equal(t, 1.0, run.Summary.Metric("ws_sessions")["count"])
//		require.Equal(t, 3.0, SumPoints(run.Points, "ws_msgs_sent", nil))
//	}
//
// Sum counter samples with [SumPoints] rather than counting them with
// [CountPoints]: this extension may emit one sample carrying a value above 1
// where stock k6 emits several samples of 1.
//
// Unless Options.Env sets WS_URL, every run gets its own in-process echo
// server (internal/echoserver) and the script finds its base URL,
// "ws://127.0.0.1:PORT", in __ENV.WS_URL (so it connects to
// `${__ENV.WS_URL}/echo`, `${__ENV.WS_URL}/push`, ...). [Run.Server] is that
// server, for asserting what it saw; [StartEchoServer] starts one with other
// options.
//
// RunK6 runs `k6 run --quiet --no-color --no-usage-report --summary-export
// FILE --out json=FILE ARGS... SCRIPT` from the repository root, with every
// K6_* and proxy variable of the test's environment removed, automatic
// extension resolution off (a missing module fails instead of downloading
// anything) and Options.Env added. It waits at most Options.Timeout (60s by
// default), then kills k6 and fails the test. When a test fails, the
// output of each of its k6 runs is logged.
//
// Options.RESTAPI gives k6 its REST API (`--address`) on a port below the
// kernel's ephemeral range, whose base URL the script reads as
// __ENV.XK6WS_PPROF; the run is repeated on another port if another process
// took it first (see apiPorts).
//
// Options.Signal sends a signal (SIGINT by default) to k6 once a condition
// holds: a channel the test closes, a string in k6's output, a delay, or
// all of them in that order; see [SignalAt].
//
// # The k6 binary
//
// TestMain builds ./cmd/k6 once (with -trimpath, as `make build` does, so
// that the two share Go's build cache) into a temporary directory, which it
// removes at the end, then checks that no goroutine is left behind (goleak).
// Two environment variables change that:
//
//   - XK6WS_E2E_K6=/path/to/k6 uses that binary instead of building one
//     (for example a stock k6, to compare behaviour);
//   - XK6WS_E2E_RACE=1 builds the binary with -race, so the extension's
//     code runs under the race detector during the end-to-end tests (slower
//     to build and to run, hence off by default).
//
// Long soak tests live behind the soak build tag, are named TestSoak*, and
// run with `make soak`.
package e2e
