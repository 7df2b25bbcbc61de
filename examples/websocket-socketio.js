// websocket-socketio.js: a Socket.IO-style client on the WebSocket class.
//
// Needs xk6-ws: params.autoReply (stock k6 rejects the unknown param).
//
// Socket.IO (v4/v5) runs on Engine.IO, whose packets over a WebSocket are text
// frames starting with a packet type digit:
//   0{...}  open: the server's handshake data (sid, pingInterval, pingTimeout)
//   2 / 3   ping / pong: the server pings every pingInterval, the client
//           must answer with a pong; a client that hears no ping for
//           pingInterval + pingTimeout treats the connection as dead
//   4...    message: carries a Socket.IO packet, whose own type digit follows:
//           40      CONNECT to the main namespace (the server answers 40{"sid":..})
//           42[..]  EVENT ["name", data...]; 42<id>[..] asks for an ack
//           43<id>[..] ACK: the answer to event <id>
//           41      DISCONNECT
// The SocketIOClient class below speaks that protocol: it waits for the open
// packet, connects to the namespace, emits events with or without acks and
// dispatches the events it receives. It does not answer pings: the
// connection does, with autoReply: [{ receive: "2", send: "3" }], on its own
// goroutines, so the answer goes out even while the script is busy or in
// sleep(), and the "2" never reaches the script (it counts in
// ws_msgs_received, the "3" in ws_msgs_sent).
//
// The simulated server: the echo server's /echo route only sends back what it
// receives, so the script also plays the server's part, over the network. An
// EchoLoopback remembers who "sent" each frame (frames come back in order):
// a frame the simulated server sent is handed to the client when it returns;
// a frame the client sent is answered as a Socket.IO server would answer it
// (CONNECT → 40{sid}, event with ack id → 43<id>[...], event → the same event
// broadcast back), and that answer goes over the wire too. The simulated
// server sends the open packet first and pings every 300 ms: the ping comes
// back from /echo, the connection answers it, and the "3" that comes back in
// turn is the pong the simulated server counts.
//
// Against a real Socket.IO v4 server, set SOCKETIO_URL to its WebSocket
// endpoint: SocketIOClient then talks to it directly. The server is expected
// to acknowledge a "join" event with the data it got and to send every "chat"
// event back to its sender, as this one does (Node, socket.io@4):
//
//   const io = new (require("socket.io").Server)(3000, { pingInterval: 300, pingTimeout: 1000 });
//   io.on("connection", (s) => {
//     s.on("join", (data, ack) => ack(data));
//     s.on("chat", (msg) => s.emit("chat", msg));
//   });
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-socketio.js
//   ./k6 run -e SOCKETIO_URL='ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket' \
//     examples/websocket-socketio.js
import { WebSocket } from "k6/websockets";
import { check } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const serverURL = __ENV.SOCKETIO_URL || "";
const OPEN = 1; // readyState; WebSocket.OPEN is an addition of xk6-ws (undefined on stock k6)
const chatMessages = 5;
// The connection answers the server's pings itself, and times each ack
// at the wire: from the event 42<id>[...] written to the ack 43<id>[...]
// read, as ws_req_duration{name:ack}.
const params = {
  autoReply: [{ receive: "2", send: "3" }],
  correlate: { request: { regex: "^42(\\d+)" }, reply: { regex: "^43(\\d+)" }, name: "ack" },
};

export const options = {
  vus: 2,
  duration: __ENV.DURATION || "2s",
  thresholds: {
    checks: ["rate==1"],
    "ws_req_duration{name:ack}": ["p(95)<1000"],
    "ws_req_failed{name:ack}": ["rate==0"],
  },
};

// parsePacket splits a Socket.IO packet (an Engine.IO message without its
// leading "4") into type, namespace, ack id and data.
function parsePacket(text) {
  let i = 1;
  let nsp = "/";
  if (text[i] === "/") {
    const comma = text.indexOf(",", i);
    nsp = text.slice(i, comma < 0 ? text.length : comma);
    i = comma < 0 ? text.length : comma + 1;
  }
  let id = "";
  while (i < text.length && text[i] >= "0" && text[i] <= "9") {
    id += text[i++];
  }
  return {
    type: Number(text[0]),
    nsp,
    id: id === "" ? null : Number(id),
    data: i < text.length ? JSON.parse(text.slice(i)) : undefined,
  };
}

// SocketIOClient speaks Engine.IO/Socket.IO over a transport: an object
// with send(frame) that calls client.receive(frame) for every frame in.
class SocketIOClient {
  constructor(transport) {
    this.transport = transport;
    this.handlers = {};
    this.acks = new Map();
    this.nextAck = 0;
    this.sid = null;
  }

  on(event, fn) {
    (this.handlers[event] = this.handlers[event] || []).push(fn);
  }

  fire(event, ...args) {
    (this.handlers[event] || []).forEach((fn) => fn(...args));
  }

  // emit sends an event; with an ack callback the server's answer calls it.
  emit(event, data, ack) {
    let id = "";
    if (ack) {
      id = String(this.nextAck++);
      this.acks.set(Number(id), ack);
    }
    this.transport.send(`42${id}${JSON.stringify([event, data])}`);
  }

  // disconnect leaves the namespace.
  disconnect() {
    this.transport.send("41");
  }

  receive(frame) {
    switch (frame[0]) {
      case "0": {
        const open = JSON.parse(frame.slice(1));
        this.fire("open", open);
        this.transport.send("40"); // connect to the main namespace
        break;
      }
      case "4":
        this.onPacket(parsePacket(frame.slice(1)));
        break;
      default:
        this.fire("error", `unexpected Engine.IO packet ${frame}`);
    }
  }

  onPacket(p) {
    if (p.type === 0) {
      this.sid = p.data.sid;
      this.fire("connect", this.sid);
    } else if (p.type === 2) {
      this.fire(p.data[0], ...p.data.slice(1));
    } else if (p.type === 3 && this.acks.has(p.id)) {
      const ack = this.acks.get(p.id);
      this.acks.delete(p.id);
      ack(...p.data);
    } else if (p.type === 4) {
      this.fire("error", `connect error: ${JSON.stringify(p.data)}`);
    }
  }
}

// EchoLoopback is the simulated Socket.IO server described at the top.
class EchoLoopback {
  constructor(ws, pingInterval) {
    this.ws = ws;
    this.pingInterval = pingInterval;
    this.senders = []; // who sent each frame in flight: "client" or "server"
    this.client = null;
    this.pinger = null;
    this.pongs = 0;
  }

  // send is the client's transport.
  send(frame) {
    this.senders.push("client");
    this.ws.send(frame);
  }

  serverSend(frame) {
    this.senders.push("server");
    this.ws.send(frame);
  }

  start(client) {
    this.client = client;
    const open = { sid: `eio-${__VU}-${__ITER}`, upgrades: [], pingInterval: this.pingInterval, pingTimeout: 1000 };
    this.serverSend(`0${JSON.stringify(open)}`);
    // The ping's echo is answered by the connection, not handed to the
    // script: it takes no place among the frames in flight.
    this.pinger = setInterval(() => this.ws.send("2"), this.pingInterval);
  }

  stop() {
    clearInterval(this.pinger);
  }

  // echoed routes a frame that came back from /echo.
  echoed(frame) {
    if (frame === "3") {
      this.pongs++; // the connection's answer to a ping, back from /echo
      return;
    }
    if (this.senders.shift() === "server") {
      this.client.receive(frame);
      return;
    }
    if (frame === "40") {
      this.serverSend(`40${JSON.stringify({ sid: `sio-${__VU}-${__ITER}` })}`);
    } else if (frame.startsWith("42")) {
      const p = parsePacket(frame.slice(1));
      // events with an ack id get their ack (the event's data back);
      // the others are broadcast back, as a chat server would
      this.serverSend(p.id === null ? frame : `43${p.id}${JSON.stringify(p.data.slice(1))}`);
    }
  }
}

export default async function () {
  const ws = new WebSocket(serverURL || `${base}/echo`, null, params);
  // Against a real server, the client sends straight on the socket; against
  // /echo, through the simulated server.
  const loopback = serverURL ? null : new EchoLoopback(ws, 300);
  const io = new SocketIOClient(loopback || { send: (frame) => ws.send(frame) });
  const result = { opened: null, sid: null, joined: null, chat: [], heartbeat: false, errors: [] };
  let guard = setTimeout(finish, 5000); // never wait forever
  let outlived;

  io.on("open", (open) => {
    result.opened = open;
    // Stay for one heartbeat: a server whose ping went unanswered closes
    // the connection within pingInterval + pingTimeout.
    clearTimeout(guard);
    guard = setTimeout(finish, Math.max(5000, open.pingInterval + open.pingTimeout + 1000));
    outlived = setTimeout(() => {
      result.heartbeat ||= ws.readyState === OPEN;
      if (result.chat.length === chatMessages && result.heartbeat) {
        finish();
      }
    }, open.pingInterval + open.pingTimeout);
  });
  io.on("error", (e) => result.errors.push(e));
  io.on("connect", (sid) => {
    result.sid = sid;
    io.emit("join", { room: "lobby" }, (reply) => {
      result.joined = reply;
      let n = 0;
      const timer = setInterval(() => {
        io.emit("chat", { n, text: `message ${n}` });
        if (++n === chatMessages) {
          clearInterval(timer);
        }
      }, 100);
    });
  });
  io.on("chat", (msg) => result.chat.push(msg.n));

  // finish leaves once every chat event came back and the connection
  // outlived a heartbeat (the guard calls it in any case).
  function finish() {
    clearTimeout(guard);
    clearTimeout(outlived);
    if (loopback) {
      loopback.stop();
    }
    if (ws.readyState === OPEN) {
      io.disconnect();
    }
    ws.close();
  }

  ws.onopen = () => {
    if (loopback) {
      loopback.start(io);
    }
  };
  ws.onmessage = (event) => {
    if (loopback) {
      loopback.echoed(event.data);
    } else {
      io.receive(event.data);
    }
    if (loopback && loopback.pongs > 0) {
      result.heartbeat = true; // the simulated server got its pong
    }
    if (result.chat.length === chatMessages && result.heartbeat && ws.readyState === OPEN) {
      finish();
    }
  };
  ws.onerror = (event) => console.error(`websocket error: ${event.error}`);

  await new Promise((resolve) => (ws.onclose = resolve));
  clearTimeout(guard);
  clearTimeout(outlived);
  check(result, {
    "socket.io: the open packet gave a session and a ping interval": (r) =>
      r.opened && typeof r.opened.sid === "string" && r.opened.pingInterval > 0,
    "socket.io: connected to the namespace": (r) => typeof r.sid === "string" && r.sid !== "",
    "socket.io: the join was acknowledged": (r) => r.joined && r.joined.room === "lobby",
    "socket.io: every chat event came back in order": (r) =>
      JSON.stringify(r.chat) === JSON.stringify([...Array(chatMessages).keys()]),
    "socket.io: the connection answered the server's pings": (r) => r.heartbeat,
    "socket.io: no protocol error": (r) => r.errors.length === 0,
  });
}
