// ws-binary.js: binary messages with the k6/ws Socket API.
//
// Needs xk6-ws: `sendBinary` of typed arrays and DataViews (stock k6 v1.8.1 takes
// only ArrayBuffers).
//
// socket.sendBinary takes an ArrayBuffer or any view of one (typed arrays,
// DataView); binary messages arrive as ArrayBuffers in the binaryMessage
// event. The second part lets the server push 50 binary messages of 64 bytes.
//
//   ./k6 x ws-echo &
//   ./k6 run examples/ws-binary.js
import ws from "k6/ws";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";

export const options = {
  vus: 1,
  iterations: 3,
  thresholds: {
    checks: ["rate==1"],
    ws_msgs_received: ["count==162"], // 3 iterations x (4 echoes + 50 pushed)
  },
};

function bytes(buffer) {
  return Array.from(new Uint8Array(buffer)).join(",");
}

export default function () {
  const data = new Uint8Array([0, 1, 2, 3, 250, 251, 252, 253]);
  const expected = [
    "0,1,2,3,250,251,252,253", // the whole ArrayBuffer
    "2,3,250", // a Uint8Array over part of it
    "252,253", // a DataView over its end
    "1,0,2,0", // a Uint16Array, little endian
  ];
  const echoed = [];

  ws.connect(`${base}/echo`, function (socket) {
    socket.on("open", () => {
      socket.sendBinary(data.buffer);
      socket.sendBinary(data.subarray(2, 5));
      socket.sendBinary(new DataView(data.buffer, 6, 2));
      socket.sendBinary(new Uint16Array([1, 2]));
    });
    socket.on("binaryMessage", (msg) => {
      echoed.push(bytes(msg));
      if (echoed.length === expected.length) {
        socket.close(1000);
      }
    });
    socket.setTimeout(() => socket.close(), 5000);
  });
  check(echoed, { "binary echoes are byte for byte": (e) => JSON.stringify(e) === JSON.stringify(expected) });

  let pushed = 0;
  let sizesOK = true;
  ws.connect(`${base}/push?count=50&size=64&binary=true`, function (socket) {
    socket.on("binaryMessage", (msg) => {
      pushed++;
      sizesOK = sizesOK && msg instanceof ArrayBuffer && msg.byteLength === 64;
      if (pushed === 50) {
        socket.close(1000);
      }
    });
    socket.setTimeout(() => socket.close(), 5000);
  });
  check(null, {
    "50 pushed binary messages": () => pushed === 50,
    "each one an ArrayBuffer of 64 bytes": () => sizesOK,
  });
}
