// websocket-blob.js: Blob and binary messages with the WebSocket class.
//
// Needs xk6-ws: `Blob.slice()` with a negative start (stock k6 v1.8.1 crashes).
//
// Builds a Blob from mixed parts, sends it and a slice of it, and checks
// that the echoes come back as Blobs (the default binaryType) with the same
// bytes; a Blob that was received is sent back as it is.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-blob.js
import { WebSocket, Blob } from "k6/websockets";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  iterations: 3,
  thresholds: {
    checks: ["rate==1"],
    ws_msgs_sent: ["count==9"],
    ws_msgs_received: ["count==9"],
  },
};

export default async function () {
  const blob = new Blob(["head:", new Uint8Array([1, 2, 3]), new Blob([":tail"])], {
    type: "application/octet-stream",
  });
  check(blob, {
    "blob: size of all parts": (b) => b.size === 13,
    "blob: type": (b) => b.type === "application/octet-stream",
  });
  check(await blob.slice(-4).text(), { "blob: slice from the end": (t) => t === "tail" });

  const wholeText = await blob.text();
  const ws = new WebSocket(`${base}/echo`);
  const echoes = [];

  ws.onopen = () => {
    ws.send(blob);
    ws.send(blob.slice(0, 4));
  };

  ws.onmessage = async (event) => {
    check(event.data, { "binary messages arrive as Blobs": (d) => d instanceof Blob });
    echoes.push(event.data);
    if (echoes.length === 2) {
      ws.send(echoes[0]); // a received Blob goes back as it is
    } else if (echoes.length === 3) {
      const [whole, head, again] = await Promise.all(echoes.map((b) => b.text()));
      check(null, {
        "the blob came back": () => whole === wholeText,
        "the slice came back": () => head === "head",
        "the received blob was sent back": () => again === whole,
      });
      ws.close();
    }
  };

  ws.onerror = (event) => console.error(`websocket error: ${event.error}`);
}
