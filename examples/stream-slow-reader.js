// stream-slow-reader.js: reading a flooding server at the script's own pace.
//
// Needs xk6-ws: WebSocketStream.
//
// The server (/push) sends 20000 messages of 1 KiB as fast as it can. The
// script reads them in batches and pauses between batches. Nothing is lost
// and memory stays bounded: while the script does not read, the stream's
// bounded queue fills and the extension stops reading the socket, so TCP
// slows the server down (backpressure) instead of k6 buffering the flood.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/stream-slow-reader.js
import { WebSocketStream } from "k6/websockets";
import { check } from "k6";

const count = 20000;
const url = (__ENV.WS_URL || "ws://127.0.0.1:8080") + `/push?count=${count}&size=1024`;

export const options = {
  iterations: 1,
  thresholds: { checks: ["rate==1"] },
};

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function () {
  const wss = new WebSocketStream(url);
  const { readable } = await wss.opened;
  const reader = readable.getReader();
  let received = 0;
  let bytes = 0;
  while (received < count) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    received++;
    bytes += value.length;
    if (received % 2000 === 0) {
      await pause(50); // the script's own pace: the server waits meanwhile
    }
  }
  check(received, { "every message arrived": (n) => n === count });
  check(bytes, { "every byte arrived": (b) => b === count * 1024 });
  wss.close();
  const { closeCode } = await wss.closed;
  check(closeCode, { "closed without a code": (c) => c === 1005 });
}
