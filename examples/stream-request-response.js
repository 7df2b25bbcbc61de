// stream-request-response.js: one WebSocketStream per VU, kept across
// iterations, one timed request per iteration (grafana/k6#4769).
//
// Needs xk6-ws: WebSocketStream.
//
// Each VU opens its stream in its first iteration and keeps it in module
// scope. Every iteration then sends one request with an id, awaits the
// answer with that id (skipping the other messages the server interleaves)
// and records the round trip in the `rpc_round_trip` Trend, with checks and
// thresholds on it. An iteration is one user action, timed on its own, over
// a socket opened once: the stream does not keep an iteration alive, only
// the promise being awaited does. The streams still open when the test ends
// are closed with 1001 (going away), each with one ws_session_duration for
// its whole life.
//
// The echo server sends each message back, which stands in for the answer;
// a "presence" notice sent before each request comes back too, interleaved
// with the answers, as server pushes would be.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/stream-request-response.js
import { WebSocketStream } from "k6/websockets";
import { check } from "k6";
import exec from "k6/execution";
import { Trend } from "k6/metrics";

const url = (__ENV.WS_URL || "ws://127.0.0.1:8080") + "/echo";
const roundTrip = new Trend("rpc_round_trip", true);

export const options = {
  vus: 3,
  iterations: 60,
  thresholds: {
    checks: ["rate==1"],
    rpc_round_trip: ["p(95)<500"],
    ws_sessions: ["count==3"], // one connection per VU, not per iteration
  },
};

// The VU's connection, opened by its first iteration.
let session;

async function connect() {
  const wss = new WebSocketStream(url);
  const { readable, writable } = await wss.opened;
  return { wss, reader: readable.getReader(), writer: writable.getWriter(), nextId: 1 };
}

// call sends a request and resolves with the answer that has its id.
async function call(s, method, params) {
  const id = s.nextId++;
  await s.writer.write(JSON.stringify({ type: "presence", vu: exec.vu.idInTest }));
  await s.writer.write(JSON.stringify({ type: "request", id, method, params }));
  for (;;) {
    const { value, done } = await s.reader.read();
    if (done) {
      throw new Error(`${method} #${id}: the connection closed before the answer`);
    }
    const msg = JSON.parse(value);
    if (msg.type === "request" && msg.id === id) {
      return msg;
    }
    // anything else (a presence notice, a push) is not our answer
  }
}

export default async function () {
  if (!session) {
    session = await connect();
  }
  const started = Date.now();
  const answer = await call(session, "get", { item: exec.vu.iterationInScenario });
  roundTrip.add(Date.now() - started, { method: "get" });
  check(answer, {
    "answer matches the request": (a) => a.method === "get" && a.params.item === exec.vu.iterationInScenario,
  });
}
