// websocket-request-response.js: request/response over one WebSocket, with a
// latency Trend and checks (the WebSocket class).
//
// Runs on stock k6 v1.8.1 too.
//
// Many WebSocket APIs are RPC-like: the client sends a request with an id and
// the server answers with a message carrying the same id. A small client
// below keeps a map of pending requests, resolves a promise when the answer
// with that id arrives (or rejects it after a timeout) and records each round
// trip in the `rpc_latency` Trend, tagged with the method. The echo server
// sends every request back unchanged, which stands in for the answer here;
// against a real service, compare what it answers instead.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-request-response.js
import { WebSocket } from "k6/websockets";
import { check } from "k6";
import { Trend } from "k6/metrics";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const rpcLatency = new Trend("rpc_latency", true);

export const options = {
  vus: 3,
  duration: __ENV.DURATION || "2s",
  thresholds: {
    checks: ["rate==1"],
    rpc_latency: ["p(95)<200", "max<1000"],
    "rpc_latency{method:get}": ["p(95)<200"],
  },
};

// RpcClient sends requests on an open WebSocket and matches the answers.
class RpcClient {
  constructor(ws, timeoutMs) {
    this.ws = ws;
    this.timeoutMs = timeoutMs;
    this.nextId = 1;
    this.pending = new Map();
    ws.addEventListener("message", (event) => this.onMessage(event));
    ws.addEventListener("close", () => this.failAll("socket closed"));
  }

  call(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} #${id}: no answer within ${this.timeoutMs}ms`));
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer, sentAt: Date.now() });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  onMessage(event) {
    const answer = JSON.parse(event.data);
    const call = this.pending.get(answer.id);
    if (!call) {
      return; // not an answer to one of ours (a push message, a late answer)
    }
    this.pending.delete(answer.id);
    clearTimeout(call.timer);
    rpcLatency.add(Date.now() - call.sentAt, { method: call.method });
    call.resolve(answer);
  }

  failAll(why) {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new Error(`${call.method} #${id}: ${why}`));
    }
    this.pending.clear();
  }
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function opened(ws) {
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("close", (e) => reject(new Error(`closed before open: ${e.code}`)));
  });
}

export default async function () {
  const ws = new WebSocket(`${base}/echo`, null, { tags: { example: "request-response" } });
  ws.onerror = (event) => console.error(`websocket error: ${event.error}`);
  const client = new RpcClient(ws, 2000);

  try {
    await opened(ws);

    // One call at a time, with think time: each waits for its answer.
    for (let i = 1; i <= 5; i++) {
      const answer = await client.call("sum", [i, i + 1]);
      check(answer, { "sequential: the answer has our id": (a) => a.id === i && a.method === "sum" });
      await pause(100);
    }

    // Several calls in flight at once: answers are matched by id.
    const answers = await Promise.all([
      client.call("get", { key: "a" }),
      client.call("get", { key: "b" }),
      client.call("sum", [4, 5]),
    ]);
    check(answers, {
      "pipelined: every call answered": (a) => a.length === 3,
      "pipelined: each answer matches its request": (a) =>
        a[0].params.key === "a" && a[1].params.key === "b" && a[2].method === "sum",
    });
  } catch (e) {
    check(null, { "no call failed": () => false });
    console.error(e.message);
  } finally {
    ws.close();
  }
}
