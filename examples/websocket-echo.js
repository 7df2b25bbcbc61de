// websocket-echo.js: the WebSocket class against the echo server.
//
// Needs xk6-ws: the `handshakeTimeout` and `closeTimeout` params and the close
// event's `wasClean`.
//
// Each iteration opens a WebSocket, sends text, an ArrayBuffer and a typed
// array once it is open, checks that every echo comes back in order with the
// right type, then closes with a code and reason of its own. The iteration
// ends when the close event has been dispatched: the event loop waits for
// every socket.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-echo.js
import { WebSocket } from "k6/websockets";
import { check } from "k6";

// readyState values, as numbers: WebSocket.OPEN and friends are an addition of
// xk6-ws (stock k6 leaves them undefined).
const OPEN = 1;

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

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

export default function () {
  const ws = new WebSocket(`${base}/echo`, "echo-protocol", {
    tags: { example: "websocket-echo" },
    handshakeTimeout: "5s",
    closeTimeout: "2s",
  });
  ws.binaryType = "arraybuffer";
  const expected = ["hello", "c0ffee", "0102ff"];
  const received = [];

  ws.addEventListener("open", () => {
    check(ws, {
      "open: readyState is OPEN": (w) => w.readyState === OPEN,
      "open: the server picked our subprotocol": (w) => w.protocol === "echo-protocol",
    });
    ws.send("hello");
    ws.send(new Uint8Array([0xc0, 0xff, 0xee]).buffer);
    ws.send(new Uint8Array([1, 2, 255]));
  });

  ws.onmessage = (event) => {
    received.push(typeof event.data === "string" ? event.data : hex(event.data));
    if (received.length === expected.length) {
      ws.close(4000, "done");
    }
  };

  ws.onerror = (event) => console.error(`websocket error: ${event.error}`);

  // A safety net: never wait for the server longer than 5 seconds.
  const guard = setTimeout(() => ws.close(), 5000);

  ws.onclose = (event) => {
    clearTimeout(guard);
    check(event, {
      "close: the server answered our code": (e) => e.code === 4000,
      "close: clean": (e) => e.wasClean === true,
    });
    check(received, {
      "every message echoed in order": (r) => JSON.stringify(r) === JSON.stringify(expected),
    });
  };
}
