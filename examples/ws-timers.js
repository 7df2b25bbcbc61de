// ws-timers.js: socket.setInterval, socket.setTimeout and ping/pong.
//
// Runs on stock k6 v1.8.1 too.
//
// Every 100ms the socket sends a message and a ping, ten times; once every
// message and ping has been answered the socket closes (a timeout closes it
// after 5s in any case). The pongs give the ws_ping metric (round trip
// time). Timers run on the VU's goroutine, between the socket's events, and
// stop when the socket closes.
//
//   ./k6 x ws-echo &
//   ./k6 run examples/ws-timers.js
import ws from "k6/ws";
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
  const ticksWanted = 10;
  let ticks = 0;
  let pongs = 0;
  let echoes = 0;
  let closedWith = null;

  ws.connect(`${base}/echo`, function (socket) {
    const closeWhenAnswered = () => {
      if (pongs === ticksWanted && echoes === ticksWanted) {
        socket.close(1000);
      }
    };
    socket.on("open", () => {
      socket.setInterval(() => {
        if (ticks === ticksWanted) {
          return; // the interval runs until the socket closes
        }
        ticks++;
        socket.send(`tick ${ticks}`);
        socket.ping();
      }, 100);
      socket.setTimeout(() => socket.close(1000), 5000); // never wait forever
    });

    socket.on("message", () => {
      echoes++;
      closeWhenAnswered();
    });
    socket.on("pong", () => {
      pongs++;
      closeWhenAnswered();
    });
    socket.on("close", (code) => (closedWith = code));
    socket.on("error", (e) => console.error(`socket error: ${e.error()}`));
  });

  check(null, {
    "the interval ticked ten times": () => ticks === ticksWanted,
    "every ping got its pong": () => pongs === ticks,
    "every message was echoed": () => echoes === ticks,
    "closed with the code passed to close()": () => closedWith === 1000,
  });
}
