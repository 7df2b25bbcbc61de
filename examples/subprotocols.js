// subprotocols.js: subprotocol negotiation (Sec-WebSocket-Protocol), with
// both APIs.
//
// Needs xk6-ws: the `subprotocols` param of k6/ws.
//
// The client offers a list of subprotocols, most preferred first; the server
// picks one of them (or none) in its handshake response. Here the echo
// server's `?protocols=` query restricts what it accepts, standing in for a
// server that only speaks some versions of a protocol:
// - the WebSocket class offers ["chat.v2", "chat.v1"] to a server that knows
//   only chat.v1: `ws.protocol` says what was picked, and the script speaks
//   that version;
// - k6/ws offers the same through the `subprotocols` param (an addition of
//   this extension; stock k6/ws can only set the header by hand): the picked
//   one is in the response headers and in the `subproto` tag of the metrics;
// - a server that knows none of the offered ones picks nothing: `protocol`
//   is "", and the script gives up with a close code of its own (4000).
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/subprotocols.js
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import { check, sleep } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const offered = ["chat.v2", "chat.v1"];

export const options = {
  vus: 1,
  duration: __ENV.DURATION || "2s",
  thresholds: {
    checks: ["rate==1"],
    // the subproto tag tells which version each session spoke
    "ws_sessions{subproto:chat.v1}": ["count>0"],
    "ws_sessions{subproto:chat.v2}": ["count>0"],
  },
};

// speak sends one message in the picked version's format.
function greeting(protocol) {
  return protocol === "chat.v2" ? JSON.stringify({ v: 2, text: "hi" }) : "v1|hi";
}

function negotiate(serverKnows) {
  const socket = new WebSocket(`${base}/echo?protocols=${serverKnows}`, offered);
  return new Promise((resolve) => {
    let picked = null;
    let echo = null;
    socket.onopen = () => {
      picked = socket.protocol;
      if (!offered.includes(picked)) {
        socket.close(4000, "no common subprotocol");
        return;
      }
      socket.send(greeting(picked));
    };
    socket.onmessage = (event) => {
      echo = event.data;
      socket.close();
    };
    socket.onerror = (event) => console.error(`websocket error: ${event.error}`);
    socket.onclose = (event) => resolve({ picked, echo, code: event.code });
  });
}

export default async function () {
  // The WebSocket class: the server picks the one version it knows.
  const v1 = await negotiate("chat.v1");
  check(v1, {
    "class: the server picked chat.v1": (r) => r.picked === "chat.v1",
    "class: we spoke chat.v1": (r) => r.echo === "v1|hi",
  });
  const v2 = await negotiate("chat.v1,chat.v2");
  check(v2, { "class: our first choice wins when the server knows both": (r) => r.picked === "chat.v2" });
  const none = await negotiate("chat.v3");
  check(none, {
    "class: no common subprotocol gives an empty protocol": (r) => r.picked === "",
    "class: the script gave up with its own code": (r) => r.code === 4000 && r.echo === null,
  });

  // k6/ws: the same negotiation through the subprotocols param.
  let echo = null;
  const res = ws.connect(`${base}/echo?protocols=chat.v1`, { subprotocols: offered }, (socket) => {
    socket.on("open", () => socket.send("v1|hi"));
    socket.on("message", (data) => {
      echo = data;
      socket.close(1000);
    });
    socket.setTimeout(() => socket.close(), 5000); // never wait forever
  });
  check(res, {
    "k6/ws: handshake succeeded": (r) => r && r.status === 101 && !r.error,
    "k6/ws: the response names the picked subprotocol": (r) => r.headers["Sec-Websocket-Protocol"] === "chat.v1",
    "k6/ws: the message was echoed": () => echo === "v1|hi",
  });
  sleep(0.3); // think time
}
