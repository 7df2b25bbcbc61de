// The Autobahn|Testsuite echo client for k6/ws, run by `make autobahn`.
//
// It asks the fuzzing server how many cases there are (/getCaseCount), runs
// each one (/runCase?case=N&agent=AGENT), sending every message back with its
// type, and has the server write its reports (/updateReports). With
// COMPRESSION=deflate every case connection asks for permessage-deflate.
//
//   wstest -m fuzzingserver -s spec.json &       # see the Makefile's autobahn target
//   ./k6 run -e AGENT=k6-ws autobahn/ws-client.js
import ws from "k6/ws";

const base = __ENV.AUTOBAHN_URL || "ws://127.0.0.1:9001";
const agent = __ENV.AGENT || "xk6-ws-k6-ws";
const params = __ENV.COMPRESSION ? { compression: __ENV.COMPRESSION } : {};

export const options = {
  scenarios: { autobahn: { executor: "shared-iterations", vus: 1, iterations: 1, maxDuration: "60m" } },
};

function control(path, onMessage) {
  const res = ws.connect(`${base}${path}`, (socket) => {
    socket.on("message", (data) => onMessage && onMessage(data));
    socket.setTimeout(() => socket.close(), 60000);
  });
  if (!res || res.status !== 101 || res.error) {
    throw new Error(`${path}: the fuzzing server did not answer: ${res && res.error}`);
  }
}

export default function () {
  let count = 0;
  control("/getCaseCount", (data) => (count = Number(data)));
  console.log(`${agent}: ${count} cases`);
  for (let n = 1; n <= count; n++) {
    ws.connect(`${base}/runCase?case=${n}&agent=${encodeURIComponent(agent)}`, params, (socket) => {
      socket.on("message", (data) => socket.send(data));
      socket.on("binaryMessage", (data) => socket.sendBinary(data));
      socket.setTimeout(() => socket.close(), 120000); // a case that hangs
    });
  }
  control(`/updateReports?agent=${encodeURIComponent(agent)}`);
}
