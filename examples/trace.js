// trace.js: what goes over the wire, in k6's log (K6_WS_DEBUG).
//
// Needs xk6-ws: K6_WS_DEBUG, a trace of handshakes and frames (stock k6 has
// --http-debug for HTTP, nothing for WebSockets).
//
// Run it with K6_WS_DEBUG set: each handshake's request and response
// headers are logged, and with K6_WS_DEBUG=full each frame both ways too
// (direction, opcode, length and the first 32 bytes of the payload), per VU,
// at the info level with source=ws-debug:
//
//   ./k6 x ws-echo &                      # the local target server
//   K6_WS_DEBUG=1 ./k6 run examples/trace.js      # handshakes
//   K6_WS_DEBUG=full ./k6 run examples/trace.js   # handshakes and frames
//
// Unset (or 0), nothing is logged and nothing is spent on it.
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  vus: 1,
  iterations: 1,
  thresholds: { checks: ["rate==1"] },
};

export default function () {
  const res = ws.connect(`${base}/echo`, { headers: { "X-Trace-Me": "k6/ws" } }, (socket) => {
    socket.on("open", () => socket.send("traced by k6/ws"));
    socket.on("message", () => socket.close(1000));
  });
  check(res, { "k6/ws: upgraded": (r) => r.status === 101 });

  const socket = new WebSocket(`${base}/echo`, null, { headers: { "X-Trace-Me": "k6/websockets" } });
  socket.binaryType = "arraybuffer";
  socket.onopen = () => socket.send(new Uint8Array([0, 1, 2, 3]).buffer);
  socket.onmessage = (e) => {
    check(e, { "k6/websockets: binary echoed": (ev) => ev.data.byteLength === 4 });
    socket.close(1000);
  };
}
