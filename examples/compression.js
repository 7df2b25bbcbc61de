// compression.js: permessage-deflate compression (RFC 7692), with both APIs.
//
// Runs on stock k6 v1.8.1 too.
//
// `compression: "deflate"` in the params asks the server to compress
// messages. Whether it agreed is in the handshake response: the
// `extensions` property of a WebSocket, the `Sec-Websocket-Extensions`
// response header with k6/ws. Compression is invisible to the script (the
// messages are the same) but not to the network: the two scenarios below do
// the same work, with and without compression; compare their data_sent and
// data_received lines in the summary (the repetitive JSON here shrinks about
// tenfold). The echo server's /headers route first sends the request's
// headers as JSON, which shows what the client offered.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/compression.js
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { check, sleep } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const duration = __ENV.DURATION || "2s";
const messages = 5;

// A message that compresses well, as most JSON does.
const payload = JSON.stringify({
  items: Array.from({ length: 50 }, (_, i) => ({ id: i, status: "available", price: 100 })),
});

export const options = {
  scenarios: {
    compressed: { executor: "constant-vus", vus: 1, duration, exec: "compressed" },
    plain: { executor: "constant-vus", vus: 1, duration, exec: "plain" },
  },
  thresholds: {
    checks: ["rate==1"],
    // the scenario tag sets the two apart in the summary
    "data_sent{scenario:compressed}": ["count>0"],
    "data_sent{scenario:plain}": ["count>0"],
    "data_received{scenario:compressed}": ["count>0"],
    "data_received{scenario:plain}": ["count>0"],
  },
};

// deflated tells whether a list of negotiated extensions includes
// permessage-deflate (it comes with parameters, such as
// "permessage-deflate; server_no_context_takeover").
function deflated(extensions) {
  return extensions.some((e) => e.trim().startsWith("permessage-deflate"));
}

// classSession sends the messages with the WebSocket class, to /headers.
async function classSession(params, label) {
  const socket = new WebSocket(`${base}/headers`, null, params);
  const received = [];
  let extensions = [];
  await new Promise((resolve) => {
    socket.onopen = () => {
      extensions = socket.extensions;
      for (let i = 0; i < messages; i++) {
        socket.send(payload);
      }
    };
    socket.onmessage = (event) => {
      received.push(event.data);
      if (received.length === messages + 1) {
        socket.close();
      }
    };
    socket.onerror = (event) => console.error(`websocket error: ${event.error}`);
    socket.onclose = resolve;
  });
  const report = JSON.parse(received[0] || "{}");
  const asked = "compression" in params;
  check(received, {
    [`${label} class: permessage-deflate offered only when asked`]: () =>
      (report.extensions || "").includes("permessage-deflate") === asked,
    [`${label} class: negotiated only when asked`]: () => deflated(extensions) === asked,
    [`${label} class: every message echoed unchanged`]: (r) =>
      r.length === messages + 1 && r.slice(1).every((data) => data === payload),
  });
}

// socketSession sends the messages with k6/ws, to /echo.
function socketSession(params, label) {
  let echoes = 0;
  const res = ws.connect(`${base}/echo`, params, (socket) => {
    socket.on("open", () => {
      for (let i = 0; i < messages; i++) {
        socket.send(payload);
      }
    });
    socket.on("message", (data) => {
      if (data === payload && ++echoes === messages) {
        socket.close(1000);
      }
    });
    socket.setTimeout(() => socket.close(), 5000); // never wait forever
  });
  const header = (res && res.headers["Sec-Websocket-Extensions"]) || "";
  check(res, {
    [`${label} k6/ws: negotiated only when asked`]: () => deflated(header.split(",")) === "compression" in params,
    [`${label} k6/ws: every message echoed`]: () => echoes === messages,
  });
}

export async function compressed() {
  await classSession({ compression: "deflate" }, "compressed:");
  socketSession({ compression: "deflate" }, "compressed:");
  sleep(0.2); // think time
}

export async function plain() {
  await classSession({}, "plain:");
  socketSession({}, "plain:");
  sleep(0.2); // think time
}
