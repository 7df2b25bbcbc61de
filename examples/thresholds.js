// thresholds.js: pass/fail criteria (thresholds) on the ws_* metrics.
//
// Runs on stock k6 v1.8.1 too.
//
// Each iteration subscribes to a feed (the echo server's /push route sends
// 20 messages 25 ms apart), pings the server every 100 ms and closes once the
// feed is complete. The thresholds below turn the WebSocket metrics into a
// verdict: when one fails, k6 exits with code 99 (CI can gate on it), and
// `abortOnFail` stops the test early. What each metric measures:
//   ws_connecting        handshake time (dial + TLS + HTTP upgrade), a Trend
//   ws_session_duration  from the start of the handshake to the close, a Trend
//   ws_ping              round trip of a ping to its pong, a Trend
//   ws_sessions          sessions started, a Counter (count and rate/s)
//   ws_msgs_sent/_received  data messages, Counters
// A threshold on `metric{tag:value}` only looks at the samples with that
// tag: the `flow` tag set in the params, or k6's own `status`, `url`, ...
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/thresholds.js
import ws from "k6/ws";
import { check } from "k6";
import { Rate } from "k6/metrics";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const feedSize = 20;
const cleanClose = new Rate("clean_close");

export const options = {
  vus: 2,
  duration: __ENV.DURATION || "2s",
  thresholds: {
    // handshakes: 95% under 500 ms; abort the whole test early if even the
    // 99th percentile goes over 2 s (evaluated after the first second)
    ws_connecting: ["p(95)<500", { threshold: "p(99)<2000", abortOnFail: true, delayAbortEval: "1s" }],
    // a session lasts about 0.5 s here: flag sessions stuck open
    ws_session_duration: ["p(95)<3000"],
    ws_ping: ["avg<100", "p(99)<500"],
    // every handshake upgraded: the status tag is 101 on all sessions
    ws_sessions: ["count>0"],
    "ws_sessions{status:101}": ["count>0"],
    // throughput: messages per second over the whole test, and per flow
    ws_msgs_received: ["rate>10"],
    "ws_msgs_received{flow:feed}": [`count>=${feedSize}`],
    // a custom Rate fed by the close events
    clean_close: ["rate==1"],
    checks: ["rate==1"],
  },
};

export default function () {
  let received = 0;
  let pongs = 0;
  const res = ws.connect(`${base}/push?count=${feedSize}&interval=25ms`, { tags: { flow: "feed" } }, (socket) => {
    socket.on("open", () => socket.setInterval(() => socket.ping(), 100));
    socket.on("pong", () => pongs++);
    socket.on("message", () => {
      if (++received === feedSize) {
        socket.close(1000);
      }
    });
    socket.on("close", (code) => cleanClose.add(code === 1000));
    socket.on("error", (e) => console.error(`socket error: ${e.error()}`));
    socket.setTimeout(() => socket.close(), 5000); // never wait forever
  });
  check(res, { "connected": (r) => r && r.status === 101 && !r.error });
  check(null, {
    "the whole feed arrived": () => received === feedSize,
    "pings were answered": () => pongs > 0,
  });
}
