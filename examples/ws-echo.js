// ws-echo.js: the k6/ws Socket API against the echo server.
//
// Runs on stock k6 v1.8.1 too.
//
// Each iteration opens a socket, sends three text messages, checks that each
// comes back, and closes. ws.connect blocks until the socket has closed, so
// the iteration ends with it.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/ws-echo.js
import ws from "k6/ws";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  vus: 2,
  iterations: 6,
  thresholds: {
    checks: ["rate==1"],
    ws_sessions: ["count==6"],
    ws_msgs_sent: ["count==18"],
    ws_msgs_received: ["count==18"],
  },
};

export default function () {
  const sent = ["hello", "héllo wörld", JSON.stringify({ vu: __VU, iter: __ITER })];
  const received = [];

  const res = ws.connect(`${base}/echo`, { tags: { example: "ws-echo" } }, function (socket) {
    socket.on("open", () => sent.forEach((msg) => socket.send(msg)));

    socket.on("message", (data) => {
      received.push(data);
      if (received.length === sent.length) {
        socket.close(1000, "done");
      }
    });

    socket.on("error", (e) => console.error(`socket error: ${e.error()}`));

    // A safety net: never wait for the server longer than 5 seconds.
    socket.setTimeout(() => socket.close(), 5000);
  });

  check(res, { "handshake succeeded": (r) => r && r.status === 101 && !r.error });
  check(received, { "every message echoed in order": (r) => JSON.stringify(r) === JSON.stringify(sent) });
}
