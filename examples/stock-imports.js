// stock-imports.js: a script written for stock k6 runs unchanged.
//
// Runs on stock k6 v1.8.1 too.
//
// This extension also answers to k6's own module names, so existing scripts
// need no edit: `k6/ws` is the Socket API, and `k6/websockets` and
// `k6/experimental/websockets` (the older name of the same module) are the
// WebSocket class. The binary built from this repository uses this
// extension's implementation for all three names; `k6 version` lists them.
// The other examples use the same names; `k6/x/ws` and `k6/x/websockets`
// are this extension's own names for the same modules.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/stock-imports.js
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { WebSocket as ExperimentalWebSocket } from "k6/experimental/websockets";
import { check, sleep } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  vus: 1,
  duration: __ENV.DURATION || "2s",
  thresholds: { checks: ["rate==1"] },
};

function echoOnce(WebSocketClass, text) {
  return new Promise((resolve) => {
    const socket = new WebSocketClass(`${base}/echo`);
    let echo = null;
    socket.onopen = () => socket.send(text);
    socket.onmessage = (event) => {
      echo = event.data;
      socket.close();
    };
    socket.onerror = (event) => console.error(`websocket error: ${event.error}`);
    socket.onclose = () => resolve(echo);
  });
}

export default async function () {
  let echo = null;
  const res = ws.connect(`${base}/echo`, {}, (socket) => {
    socket.on("open", () => socket.send("from k6/ws"));
    socket.on("message", (data) => {
      echo = data;
      socket.close();
    });
    socket.setTimeout(() => socket.close(), 5000); // never wait forever
  });
  check(res, {
    "k6/ws: connected": (r) => r && r.status === 101 && !r.error,
    "k6/ws: echoed": () => echo === "from k6/ws",
  });

  check(await echoOnce(WebSocket, "from k6/websockets"), {
    "k6/websockets: echoed": (e) => e === "from k6/websockets",
  });
  check(await echoOnce(ExperimentalWebSocket, "from k6/experimental/websockets"), {
    "k6/experimental/websockets: echoed": (e) => e === "from k6/experimental/websockets",
  });
  sleep(0.3); // think time
}
