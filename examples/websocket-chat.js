// websocket-chat.js: a chat room with many sockets per VU (the WebSocket class).
//
// Needs xk6-ws: the close event's `wasClean` (stock k6 v1.8.1 leaves it undefined).
//
// Each iteration opens 5 sockets ("members") in a room of its own on the echo
// server's /chat route, which broadcasts every message to every member of the
// room, the sender included. (The room is named after the VU's id in the whole
// test, exec.vu.idInTest, which stays unique when the test is split over
// several k6 instances.) A member counts as joined once its own "join"
// message comes back: the server only relays messages to members it has
// added, so waiting for that acknowledgement (not just for `open`) is what
// makes the counts below exact. Once every member has joined, each sends 5
// chat messages 100 ms apart; every member must receive all 25, each sender's
// in order, then closes. The room name changes every iteration, so the `url`
// tag would too: the `name` tag groups all the sessions' metrics under one
// name instead.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-chat.js         # DURATION=30s for longer
import { WebSocket } from "k6/websockets";
import { check } from "k6";
import exec from "k6/execution";
import { Counter } from "k6/metrics";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const members = 5;
const perMember = 5;
const chatDelivered = new Counter("chat_messages_delivered");

export const options = {
  vus: 2,
  duration: __ENV.DURATION || "2s",
  thresholds: {
    checks: ["rate==1"],
    chat_messages_delivered: ["count>0"],
    // every session of the room shares the name tag: one sub-metric for all
    "ws_connecting{name:chat-room}": ["p(95)<1000"],
  },
};

export default async function () {
  const room = `vu${exec.vu.idInTest}-iter${__ITER}`;
  const sockets = [];
  const closed = [];
  let joined = 0;

  function startChatting() {
    sockets.forEach((ws, me) => {
      let seq = 0;
      const timer = setInterval(() => {
        ws.send(JSON.stringify({ kind: "chat", from: me, seq: seq++, text: `hello from ${me}` }));
        if (seq === perMember) {
          clearInterval(timer);
        }
      }, 100);
    });
  }

  for (let me = 0; me < members; me++) {
    const ws = new WebSocket(`${base}/chat?room=${room}`, null, { tags: { name: "chat-room" } });
    const received = []; // received[from] lists the seq numbers from that member
    let total = 0;
    sockets.push(ws);

    ws.onopen = () => ws.send(JSON.stringify({ kind: "join", from: me }));

    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.kind === "join") {
        // Our own join came back: the room has us. Other members' joins may
        // or may not reach us, depending on who joined first.
        if (msg.from === me && ++joined === members) {
          startChatting();
        }
        return;
      }
      (received[msg.from] = received[msg.from] || []).push(msg.seq);
      chatDelivered.add(1);
      if (++total === members * perMember) {
        check(received, {
          "chat: a message from every member": (r) => r.filter(Boolean).length === members,
          "chat: each sender's messages in order": (r) =>
            r.every((seqs) => seqs.every((seq, i) => seq === i)),
        });
        ws.close(1000, "bye");
      }
    };

    ws.onerror = (event) => console.error(`member ${me}: ${event.error}`);
    const guard = setTimeout(() => ws.close(), 5000); // never wait forever
    closed.push(
      new Promise((resolve) =>
        ws.addEventListener("close", (event) => {
          clearTimeout(guard);
          resolve(event);
        }),
      ),
    );
  }

  const events = await Promise.all(closed);
  check(events, { "chat: every member left cleanly": (all) => all.every((e) => e.code === 1000 && e.wasClean) });
}
