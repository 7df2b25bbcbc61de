// websocket-many-sockets.js: many WebSockets per VU, all on the VU's event loop.
//
// Needs xk6-ws: its `ws_msgs_sent` threshold counts data messages only (stock
// k6 v1.8.1 also counts close frames there).
//
// Each iteration opens 10 sockets at once and, when the last one is open,
// makes each send 5 numbered messages. Every socket checks that it gets its
// own echoes back in order, then closes. Timers and async handlers work as
// anywhere else in k6.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-many-sockets.js
import { WebSocket } from "k6/websockets";
import { check } from "k6";

// readyState CLOSED, as a number: WebSocket.CLOSED is an addition of xk6-ws
// (stock k6 leaves it undefined).
const CLOSED = 3;

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const sockets = 10;
const messages = 5;

export const options = {
  vus: 2,
  iterations: 4,
  thresholds: {
    checks: ["rate==1"],
    ws_sessions: [`count==${4 * sockets}`],
    ws_msgs_sent: [`count==${4 * sockets * messages}`],
    ws_msgs_received: [`count==${4 * sockets * messages}`],
  },
};

export default async function () {
  const all = [];
  let opened = 0;
  const closed = [];

  for (let s = 0; s < sockets; s++) {
    const ws = new WebSocket(`${base}/echo`, null, { tags: { socket: String(s) } });
    const got = [];
    all.push(ws);

    ws.onopen = () => {
      opened++;
      if (opened === sockets) {
        // Every socket is open: now each sends its messages.
        all.forEach((w, k) => {
          for (let i = 0; i < messages; i++) {
            w.send(`${k}:${i}`);
          }
        });
      }
    };

    ws.onmessage = async (event) => {
      got.push(await Promise.resolve(event.data));
      if (got.length === messages) {
        check(got, {
          "each socket gets its own echoes in order": (g) =>
            g.every((data, i) => data === `${s}:${i}`),
        });
        ws.close();
      }
    };

    ws.onerror = (event) => console.error(`socket ${s}: ${event.error}`);
    closed.push(new Promise((resolve) => ws.addEventListener("close", resolve)));
  }

  await Promise.all(closed);
  check(all, { "every socket is closed": (list) => list.every((w) => w.readyState === CLOSED) });
}
