// The Autobahn|Testsuite echo client for the WebSocket class, run by `make
// autobahn`: like ws-client.js (see there), one case connection at a time.
//
//   ./k6 run -e AGENT=k6-websockets autobahn/websocket-client.js
import { WebSocket } from "k6/websockets";

const base = __ENV.AUTOBAHN_URL || "ws://127.0.0.1:9001";
const agent = __ENV.AGENT || "xk6-ws-k6-websockets";
const params = __ENV.COMPRESSION ? { compression: __ENV.COMPRESSION } : {};

export const options = {
  scenarios: { autobahn: { executor: "shared-iterations", vus: 1, iterations: 1, maxDuration: "60m" } },
};

// session opens a socket, echoes what arrives (or hands it to onMessage) and
// resolves with whether it opened, once it has closed.
function session(url, socketParams, onMessage) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, null, socketParams);
    socket.binaryType = "arraybuffer";
    let opened = false;
    const guard = setTimeout(() => socket.close(), 120000); // a case that hangs
    socket.onopen = () => (opened = true);
    socket.onmessage = (event) => (onMessage ? onMessage(event.data) : socket.send(event.data));
    socket.onerror = () => {}; // the server's report says what went wrong
    socket.onclose = () => {
      clearTimeout(guard);
      resolve(opened);
    };
  });
}

export default async function () {
  let count = 0;
  if (!(await session(`${base}/getCaseCount`, {}, (data) => (count = Number(data))))) {
    throw new Error(`${base}/getCaseCount: the fuzzing server did not answer`);
  }
  console.log(`${agent}: ${count} cases`);
  for (let n = 1; n <= count; n++) {
    await session(`${base}/runCase?case=${n}&agent=${encodeURIComponent(agent)}`, params);
  }
  await session(`${base}/updateReports?agent=${encodeURIComponent(agent)}`, {}, () => {});
}
