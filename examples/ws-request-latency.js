// ws-request-latency.js: how long a service takes to answer, measured at the
// wire, with the k6/ws Socket API.
//
// Needs xk6-ws: params.correlate, ws_req_duration and ws_req_failed.
//
// The echo server's /rpc route answers each JSON request {"id": ...} with
// {"id": <the same id>, "result": ...} after a delay (20 ms here); its
// answers may come in any order. params.correlate matches each answer with
// its request by "id" on the connection's own goroutines: ws_req_duration
// is the time from the request's last frame written to the answer's frame
// read, ws_req_failed is true for a request without an answer within
// timeout (or whose socket closed first). Every message still reaches the
// script's handlers, so the script checks the answers as before.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/ws-request-latency.js
import ws from "k6/ws";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const requests = 10;

export const options = {
  vus: 2,
  iterations: 4,
  thresholds: {
    checks: ["rate==1"],
    // the server waits 20 ms before each answer: the time covers it
    "ws_req_duration{name:rpc}": ["p(95)<500", "min>=20"],
    "ws_req_failed{name:rpc}": ["rate==0"],
  },
};

const params = {
  correlate: { request: { json: "id" }, reply: { json: "id" }, timeout: "5s", name: "rpc" },
};

export default function () {
  const answered = new Set();
  ws.connect(`${base}/rpc?delay=20ms`, params, (socket) => {
    socket.on("open", () => {
      for (let id = 0; id < requests; id++) {
        socket.send(JSON.stringify({ id, method: "sum", params: [id, 1] }));
      }
    });
    socket.on("message", (data) => {
      const reply = JSON.parse(data);
      check(reply, { "the answer is to a request of ours": (r) => r.result.id === r.id && !answered.has(r.id) });
      answered.add(reply.id);
      if (answered.size === requests) {
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), 5000); // never wait forever
  });
  check(answered, { "every request was answered": (a) => a.size === requests });
}
