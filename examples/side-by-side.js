// side-by-side.js: the same load with k6/ws and with the WebSocket class, in
// one script with two scenarios.
//
// Needs xk6-ws: the close event's `wasClean` (stock k6 v1.8.1 leaves it undefined).
//
// Both scenarios run 2 VUs that each open a socket, send 10 messages 50 ms
// apart, check every echo and close; the code is written in each API's own
// style so the two can be compared line by line:
//
//   k6/ws (socketApi)                     | WebSocket class (webSocketClass)
//   ws.connect(url, params, fn) blocks    | new WebSocket(url, protocols, params)
//     the VU until the socket closes      |   returns at once; the iteration
//                                         |   ends when the socket has closed
//   socket.on("open" | "message", fn)     | ws.onopen / ws.onmessage or
//                                         |   addEventListener("open", fn)
//   message handler gets the data         | gets an event: event.data
//   socket.setInterval / setTimeout       | global setInterval / setTimeout
//   socket.close() default code 1001      | ws.close() default code 1000
//   one socket per VU at a time           | any number of sockets per VU
//
// The metrics are the same (ws_sessions, ws_msgs_sent, ...): the `scenario`
// tag tells them apart, so the thresholds below hold each API to the same
// bar and the summary shows them side by side.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/side-by-side.js
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const duration = __ENV.DURATION || "2s";
const messages = 10;
const every = 50; // ms

export const options = {
  scenarios: {
    socketApi: { executor: "constant-vus", vus: 2, duration, exec: "socketApi" },
    webSocketClass: { executor: "constant-vus", vus: 2, duration, exec: "webSocketClass" },
  },
  thresholds: {
    checks: ["rate==1"],
    "ws_connecting{scenario:socketApi}": ["p(95)<500"],
    "ws_connecting{scenario:webSocketClass}": ["p(95)<500"],
    "ws_msgs_received{scenario:socketApi}": ["count>0"],
    "ws_msgs_received{scenario:webSocketClass}": ["count>0"],
    "ws_session_duration{scenario:socketApi}": ["p(95)<2000"],
    "ws_session_duration{scenario:webSocketClass}": ["p(95)<2000"],
  },
};

function inOrder(received) {
  return received.length === messages && received.every((data, i) => data === `message ${i}`);
}

export function socketApi() {
  const received = [];
  const res = ws.connect(`${base}/echo`, null, (socket) => {
    let sent = 0;
    socket.on("open", () => {
      socket.setInterval(() => {
        if (sent < messages) {
          socket.send(`message ${sent++}`);
        }
      }, every);
    });
    socket.on("message", (data) => {
      received.push(data);
      if (received.length === messages) {
        socket.close(1000);
      }
    });
    socket.on("error", (e) => console.error(`socket error: ${e.error()}`));
    socket.setTimeout(() => socket.close(), 5000); // never wait forever
  });
  // ws.connect has returned: the socket is closed
  check(res, { "k6/ws: connected": (r) => r && r.status === 101 && !r.error });
  check(received, { "k6/ws: every message echoed in order": inOrder });
}

export function webSocketClass() {
  const socket = new WebSocket(`${base}/echo`);
  const received = [];
  let timer;
  socket.onopen = () => {
    let sent = 0;
    timer = setInterval(() => {
      socket.send(`message ${sent++}`);
      if (sent === messages) {
        clearInterval(timer);
      }
    }, every);
  };
  socket.onmessage = (event) => {
    received.push(event.data);
    if (received.length === messages) {
      socket.close();
    }
  };
  socket.onerror = (event) => console.error(`websocket error: ${event.error}`);
  const guard = setTimeout(() => socket.close(), 5000); // never wait forever
  socket.onclose = (event) => {
    // the function returned long ago; the iteration ends after this handler
    clearTimeout(guard);
    clearInterval(timer);
    check(event, { "class: closed cleanly": (e) => e.code === 1000 && e.wasClean });
    check(received, { "class: every message echoed in order": inOrder });
  };
}
