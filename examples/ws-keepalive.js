// ws-keepalive.js: application keep-alives that survive sleep(), with the
// k6/ws Socket API.
//
// Needs xk6-ws: params.autoReply.
//
// The echo server's /heartbeat route sends "2" every 200 ms and closes the
// connection (1008) when "3" does not come back within 100 ms, as a
// Socket.IO server does. sleep() blocks the VU, so a handler that sleeps
// cannot answer: params.autoReply makes the connection answer "2" with "3"
// itself, on its own goroutines. The "2"s do not reach the script; they
// count in ws_msgs_received and the answers in ws_msgs_sent.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/ws-keepalive.js
import ws from "k6/ws";
import { check, sleep } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  vus: 2,
  iterations: 2,
  thresholds: { checks: ["rate==1"] },
};

export default function () {
  let code = 0;
  let echoed = "";
  ws.connect(`${base}/heartbeat?interval=200ms&timeout=100ms`, { autoReply: [{ receive: "2", send: "3" }] }, (socket) => {
    socket.on("open", () => {
      sleep(1.5); // the VU is blocked: about seven heartbeats go by
      socket.send("still here");
    });
    socket.on("message", (data) => {
      echoed = data;
      socket.close(1000);
    });
    socket.on("close", (c) => (code = c));
  });
  check(code, {
    "the server kept the sleeping client": (c) => c === 1000,
    "only the script's own message reached it": () => echoed === "still here",
  });
}
