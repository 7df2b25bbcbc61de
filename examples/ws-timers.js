// ws-timers.js: socket.setInterval, socket.setTimeout and ping/pong.
//
// Every 100ms the socket sends a message and a ping; after 1.05s a timeout
// closes it (after close() no more message or pong events are delivered, so
// the last tick gets 50ms for its answers). The pongs give the ws_ping metric (round trip time). Timers run
// on the VU's goroutine, between the socket's events, and stop when the
// socket closes.
//
//   ./k6 x ws-echo &
//   ./k6 run examples/ws-timers.js
import ws from "k6/x/ws";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  vus: 1,
  iterations: 2,
  thresholds: {
    checks: ["rate==1"],
    ws_ping: ["p(95)<500"],
    ws_msgs_received: ["count>=10"],
  },
};

export default function () {
  let ticks = 0;
  let pongs = 0;
  let echoes = 0;
  let closedWith = null;

  ws.connect(`${base}/echo`, function (socket) {
    socket.on("open", () => {
      socket.setInterval(() => {
        ticks++;
        socket.send(`tick ${ticks}`);
        socket.ping();
      }, 100);
      socket.setTimeout(() => socket.close(1000), 1050);
    });

    socket.on("message", () => echoes++);
    socket.on("pong", () => pongs++);
    socket.on("close", (code) => (closedWith = code));
    socket.on("error", (e) => console.error(`socket error: ${e.error()}`));
  });

  check(null, {
    "the interval ticked every 100ms": () => ticks >= 9 && ticks <= 10,
    "every ping got its pong": () => pongs === ticks,
    "every message was echoed": () => echoes === ticks,
    "closed with the code passed to close()": () => closedWith === 1000,
  });
}
