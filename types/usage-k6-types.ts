// usage-k6-types.ts is type-checked against ../index.d.ts with @types/k6
// loaded too (npx tsc -p tsconfig.k6-types.json): k6's other modules come
// from @types/k6, and the WebSocket modules, under k6's names too, from
// index.d.ts, with what this extension adds.
import { check, sleep } from "k6";
import http from "k6/http";
import exec from "k6/execution";
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { Blob } from "k6/experimental/websockets";
import { WebSocket as XWebSocket } from "k6/x/websockets";

export default function (): void {
  const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
  const jar = http.cookieJar();

  // Params only this extension has: the definitions of index.d.ts apply.
  const res = ws.connect(`${base}/echo`, { jar, subprotocols: ["chat"], handshakeTimeout: "5s" }, (socket) => {
    socket.on("close", (code: number, reason: string) => check(code, { "reason given": () => reason !== "" }));
    socket.close(1000, "done");
  });
  check(res, { "status is 101": (r) => r.status === 101 });

  const socket = new WebSocket(`${base}/echo`, null, { closeTimeout: "1s", maxMessageSize: 1024 });
  socket.onclose = (event) => check(event, { clean: (e) => e.wasClean });
  socket.onopen = () => socket.send(new Blob(["vu ", String(exec.vu.idInTest)]));
  const other = new XWebSocket(`${base}/echo`);
  other.onopen = () => other.close();
  sleep(0.1);
}
