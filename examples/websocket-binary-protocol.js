// websocket-binary-protocol.js: a binary protocol with ArrayBuffer, DataView and
// Blob (the WebSocket class).
//
// Needs xk6-ws: sending a Blob (stock k6 v1.8.1 throws "unsupported send type").
//
// Many game, trading and IoT services speak binary frames instead of JSON.
// This script encodes a made-up frame with a DataView:
//
//   offset 0  u8   version (1)
//          1  u8   type (1 = quote, 2 = order)
//          2  u32  sequence number (big endian)
//          6  f64  send time, ms since the epoch
//         14  u16  payload length n
//         16  n    payload (UTF-8)
//
// Two sockets per iteration show both ways binary data comes in:
// - binaryType "arraybuffer": frames are built as ArrayBuffers and arrive as
//   ArrayBuffers, decoded at once with a DataView;
// - binaryType "blob" (the default): frames are sent as Blobs assembled from
//   parts (the header's bytes and the payload string) and arrive as Blobs,
//   read with `await blob.arrayBuffer()`.
// The echo server returns each frame as it is; every echo is decoded and
// checked field by field, and the frame's timestamp gives a latency Trend.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-binary-protocol.js
import { WebSocket, Blob } from "k6/websockets";
import { check } from "k6";
import { Trend } from "k6/metrics";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const frameLatency = new Trend("frame_latency", true);
const framesPerSocket = 10;
const HEADER = 16;

export const options = {
  vus: 2,
  duration: __ENV.DURATION || "2s",
  thresholds: {
    checks: ["rate==1"],
    frame_latency: ["p(95)<200"],
    "ws_msgs_received{binary:blob}": ["count>0"],
    "ws_msgs_received{binary:arraybuffer}": ["count>0"],
  },
};

// header encodes the frame header for a payload of n bytes.
function header(type, seq, n) {
  const buf = new ArrayBuffer(HEADER);
  const view = new DataView(buf);
  view.setUint8(0, 1);
  view.setUint8(1, type);
  view.setUint32(2, seq); // DataView is big endian unless told otherwise
  view.setFloat64(6, Date.now());
  view.setUint16(14, n);
  return buf;
}

function utf8(text) {
  // Blob does the UTF-8 encoding for us; its bytes come back as a promise.
  return new Blob([text]).bytes();
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// encode builds a whole frame as one ArrayBuffer.
async function encode(type, seq, text) {
  const payload = await utf8(text);
  const frame = new Uint8Array(HEADER + payload.length);
  frame.set(new Uint8Array(header(type, seq, payload.length)), 0);
  frame.set(payload, HEADER);
  return frame.buffer;
}

// decode reads a frame from an ArrayBuffer.
async function decode(buf) {
  const view = new DataView(buf);
  const n = view.getUint16(14);
  return {
    version: view.getUint8(0),
    type: view.getUint8(1),
    seq: view.getUint32(2),
    sentAt: view.getFloat64(6),
    payload: await new Blob([new Uint8Array(buf, HEADER, n)]).text(),
    complete: buf.byteLength === HEADER + n,
  };
}

// session runs one socket: it sends framesPerSocket frames, 50ms apart, and checks every
// echo. It resolves once the socket has closed.
function session(binaryType) {
  const ws = new WebSocket(`${base}/echo`, null, { tags: { binary: binaryType } });
  ws.binaryType = binaryType;
  const decoded = [];

  ws.onopen = async () => {
    for (let seq = 0; seq < framesPerSocket; seq++) {
      const text = `${binaryType} frame ${seq} ✓`;
      if (binaryType === "arraybuffer") {
        ws.send(await encode(1, seq, text));
      } else {
        // A Blob from parts: no need to copy the pieces into one buffer.
        const bytes = await utf8(text);
        ws.send(new Blob([header(2, seq, bytes.length), bytes], { type: "application/octet-stream" }));
      }
      await pause(50); // one frame every 50ms
    }
  };

  ws.onmessage = async (event) => {
    const isBlob = event.data instanceof Blob;
    const frame = await decode(isBlob ? await event.data.arrayBuffer() : event.data);
    frameLatency.add(Date.now() - frame.sentAt, { binary: binaryType });
    check(isBlob, { [`${binaryType}: messages arrive as ${binaryType}`]: (b) => b === (binaryType === "blob") });
    decoded.push(frame);
    if (decoded.length === framesPerSocket) {
      ws.close();
    }
  };

  ws.onerror = (event) => console.error(`${binaryType} socket: ${event.error}`);
  const guard = setTimeout(() => ws.close(), 5000); // never wait forever

  return new Promise((resolve) => {
    ws.onclose = () => {
      clearTimeout(guard);
      const type = binaryType === "arraybuffer" ? 1 : 2;
      check(decoded, {
        [`${binaryType}: every frame came back`]: (d) => d.length === framesPerSocket,
        [`${binaryType}: frames decode field by field`]: (d) =>
          d.every((f, i) => f.complete && f.version === 1 && f.type === type && f.seq === i &&
            f.payload === `${binaryType} frame ${i} ✓`),
      });
      resolve();
    };
  });
}

export default async function () {
  await Promise.all([session("arraybuffer"), session("blob")]);
}
