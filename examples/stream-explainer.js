// stream-explainer.js: the examples of the WICG explainer "WebSocketStream
// Explained", run unchanged in k6; only the import is added.
//
// Needs xk6-ws: WebSocketStream.
//
// The explainer leaves `url` and `process` to the reader; they are defined
// at the end. The server (/push) sends five messages; process() answers each
// and, at the fifth, closes the stream as the explainer's closing example
// does, which ends the read loop.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/stream-explainer.js
import { WebSocketStream } from "k6/websockets";
import { check } from "k6";

export default async function () {
  // --- from the explainer ---
  const wss = new WebSocketStream(url);
  const { readable, writable } = await wss.opened;
  const reader = readable.getReader();
  const writer = writable.getWriter();

  while (true) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    const result = await process(value);
    await writer.write(result);
  }

  const { closeCode, reason } = await wss.closed;
  // --- end of the explainer's code ---

  check(processed, { "every message was processed": (n) => n === 5 });
  check(closeCode, { "closed with the explainer's code": (c) => c === 4000 });
  check(reason, { "the reason is a string": (r) => typeof r === "string" });

  function closeWhenDone() {
    // the explainer's closing example
    wss.close({
      closeCode: 4000,
      reason: "Game over",
    });
  }

  async function process(value) {
    processed++;
    if (processed === 5) {
      setTimeout(closeWhenDone, 0); // once this answer is written
    }
    return `processed ${value.length} characters`;
  }
}

const url = (__ENV.WS_URL || "ws://127.0.0.1:8080") + "/push?count=5&size=32";
let processed = 0;
