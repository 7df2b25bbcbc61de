// failures.js: why sessions failed, as metrics a threshold can judge.
//
// Needs xk6-ws: `ws_handshake_failed`, `ws_session_failed`, the `error_code`
// tag, and `error_code` on the response and on the error event.
//
// Each iteration opens four sessions against the echo server: one that
// works, one that the server refuses with 429, one whose handshake never
// gets an answer (a short handshakeTimeout ends it) and one that the server
// drops without a close frame. Every session gives one `ws_handshake_failed`
// sample (true when the handshake failed) with the k6 error code in its
// `error_code` tag; every session that opened gives one `ws_session_failed`
// sample (true when it ended abnormally) with its `close_code` tag.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/failures.js
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  vus: 1,
  iterations: 2,
  thresholds: {
    checks: ["rate==1"],
    // 2 of every 4 handshakes fail (the refused and the timed-out one);
    // a real test would ask for "rate<0.01", as of http_req_failed
    ws_handshake_failed: ["rate<0.6"],
    // by cause: 1429 is a 429 answer (1000 + status, as k6's HTTP module),
    // 1050 a handshake timeout
    "ws_handshake_failed{error_code:1429}": ["rate==1"],
    "ws_handshake_failed{error_code:1050}": ["rate==1"],
    // sessions that opened: the dropped one ended with 1006
    "ws_session_failed{close_code:1006}": ["rate==1"],
    "ws_session_failed{close_code:1000}": ["rate==0"],
  },
};

export default function () {
  // A session that works: echo one message, close normally.
  ws.connect(`${base}/echo`, (socket) => {
    socket.on("open", () => socket.send("hello"));
    socket.on("message", () => socket.close(1000));
  });

  // Refused with 429: the response says so.
  const refused = ws.connect(`${base}/status?code=429&body=slow`, () => {});
  check(refused, {
    "refused: status 429": (r) => r.status === 429,
    "refused: error_code 1429": (r) => r.error_code === 1429,
  });

  // No answer within handshakeTimeout: the error names the param.
  const timedOut = ws.connect(`${base}/hang`, { handshakeTimeout: "500ms" }, () => {});
  check(timedOut, {
    "timed out: error_code 1050": (r) => r.error_code === 1050,
    "timed out: status 0": (r) => r.status === 0,
    "timed out: the error names handshakeTimeout": (r) => r.error.includes("(handshakeTimeout)"),
  });

  // Dropped without a close frame, through the WebSocket class: the
  // session opened, so it is a ws_session_failed sample with close_code 1006.
  const dropped = new WebSocket(`${base}/drop?after=1`);
  dropped.onopen = () => dropped.send("last words");
  dropped.onerror = () => {};
  dropped.onclose = (e) => check(e, { "dropped: close code 1006": (ev) => ev.code === 1006 });
}
