// The `make demo` load test: 10 virtual users for 10 seconds, each holding one
// WebSocket to the local echo server (`k6 x ws-echo`), sending a message every
// 100 ms and checking that it comes back. Each message's round trip is
// ws_req_duration: the connection matches each echo with its message by its
// "seq" and times it at the wire (params.correlate), from the message's last
// frame written to the echo's frame read, at sub-millisecond resolution,
// untouched by the event loop.
//
// Needs xk6-ws: params.correlate and ws_req_duration.
//
// Run it with:
//
//   ./k6 x ws-echo &            # the local target server, ws://127.0.0.1:8080
//   ./k6 run examples/demo.js
//
// The run fails (exit code 99) unless every handshake succeeded: a server
// that refuses the upgrade (a 404 from some other program on the port), a
// refused connection or a failed extension negotiation all count against the
// "handshake succeeded" check, and its threshold.
import { WebSocket } from "k6/websockets";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const params = { correlate: { request: { json: "seq" }, reply: { json: "seq" }, name: "echo" } };
let loggedError = false;

export const options = {
  vus: 10,
  duration: __ENV.DURATION || "10s",
  thresholds: {
    // every session must have opened: the WebSocket class dispatches `open`
    // only after a 101 answer whose extensions and subprotocol were valid
    "checks{check:handshake succeeded}": ["rate==1"],
    ws_connecting: ["p(95)<500"],
    "ws_req_duration{name:echo}": ["p(95)<100"],
    "ws_req_failed{name:echo}": ["rate==0"],
    checks: ["rate>0.99"],
  },
};

export default function () {
  const ws = new WebSocket(`${base}/echo`, null, params);
  let opened = false;
  let sent = 0;
  let timer;

  ws.onopen = () => {
    opened = true;
    check(ws, { "handshake succeeded": () => true });
    timer = setInterval(() => {
      ws.send(JSON.stringify({ seq: sent++ }));
      if (sent === 20) {
        clearInterval(timer);
      }
    }, 100);
  };

  let received = 0;
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    check(msg, { "echo comes back in order": (m) => m.seq === received });
    received++;
    if (received === 20) {
      ws.close();
    }
  };

  ws.onerror = (event) => {
    if (!loggedError) {
      loggedError = true; // once per VU: a wrong target fails every iteration
      console.error(`websocket error: ${event.error}`);
    }
  };

  ws.onclose = () => {
    clearInterval(timer);
    if (!opened) {
      check(ws, { "handshake succeeded": () => false });
    }
  };
}
