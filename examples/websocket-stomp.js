// websocket-stomp.js: STOMP 1.2 messaging over a WebSocket (the WebSocket class).
//
// Runs on stock k6 v1.8.1 too.
//
// STOMP over WebSocket sends one frame per text message:
//
//   COMMAND\n
//   header1:value1\n
//   header2:value2\n
//   \n
//   body^@            (^@ is the NUL byte that ends every frame)
//
// The client connects (CONNECT → CONNECTED), subscribes to a destination
// (SUBSCRIBE), publishes (SEND → a MESSAGE for every subscription to that
// destination; a broker handles the frames of a connection in order, so no
// receipt is needed between SUBSCRIBE and SEND) and disconnects (DISCONNECT
// with a receipt → RECEIPT, then the socket is closed). The StompClient class
// below builds and parses frames, escaping header values as STOMP 1.2 says,
// and measures publish-to-delivery latency.
//
// The simulated broker: the echo server's /echo route only sends back what it
// receives, so the script also plays the broker, over the network. Every
// client frame that comes back is answered as a broker would answer it (the
// frames above, or ERROR), and that answer is sent through /echo too; an
// EchoLoopback remembers who sent each frame in flight (frames come back in
// order) so that the broker's frames reach the client and the client's reach
// the broker.
//
// Against a real STOMP 1.2 broker (RabbitMQ's Web-STOMP, ActiveMQ, Spring's
// STOMP endpoint...), set STOMP_URL: the script then opens the WebSocket there
// with the "v12.stomp" subprotocol and StompClient talks to the broker
// directly (STOMP_HOST, STOMP_LOGIN and STOMP_PASSCODE: the CONNECT frame's
// host, login and passcode, by default "/", "guest" and "guest").
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/websocket-stomp.js
//   ./k6 run -e STOMP_URL=ws://127.0.0.1:15674/ws examples/websocket-stomp.js   # RabbitMQ
import { WebSocket } from "k6/websockets";
import { check } from "k6";
import { Trend } from "k6/metrics";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const brokerURL = __ENV.STOMP_URL || "";
const published = 5;
const deliveryLatency = new Trend("stomp_delivery_latency", true);

export const options = {
  vus: 2,
  duration: __ENV.DURATION || "2s",
  thresholds: {
    checks: ["rate==1"],
    stomp_delivery_latency: ["p(95)<1000"],
  },
};

const NUL = "\0";

function escape(v) {
  return String(v).replace(/\\/g, "\\\\").replace(/\r/g, "\\r").replace(/\n/g, "\\n").replace(/:/g, "\\c");
}

function unescape(v) {
  return v.replace(/\\(.)/g, (_, c) => ({ "\\": "\\", r: "\r", n: "\n", c: ":" })[c]);
}

// encodeFrame builds a STOMP frame.
function encodeFrame(command, headers, body = "") {
  const lines = Object.entries(headers).map(([k, v]) => `${escape(k)}:${escape(v)}`);
  return `${command}\n${lines.join("\n")}\n\n${body}${NUL}`;
}

// decodeFrame parses a STOMP frame, or returns null if it is not one. The
// end-of-line bytes a broker may send after the NUL are dropped.
function decodeFrame(raw) {
  const text = raw.replace(/[\r\n]+$/, "");
  if (!text.endsWith(NUL)) {
    return null;
  }
  const split = text.indexOf("\n\n");
  if (split < 0) {
    return null;
  }
  const [command, ...lines] = text.slice(0, split).split("\n");
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = unescape(line.slice(0, colon));
    if (!(name in headers)) {
      headers[name] = unescape(line.slice(colon + 1)); // the first one counts (STOMP 1.2)
    }
  }
  return { command, headers, body: text.slice(split + 2, -1) };
}

// StompClient speaks STOMP over a transport: an object with send(frame)
// that calls client.receive(frame) for every frame in.
class StompClient {
  constructor(transport) {
    this.transport = transport;
    this.subscriptions = {};
    this.receipts = {};
    this.nextId = 0;
    this.onConnected = () => {};
    this.onError = () => {};
  }

  connect(host, login, passcode) {
    this.send("CONNECT", { "accept-version": "1.2", host, login, passcode, "heart-beat": "0,0" });
  }

  subscribe(destination, onMessage) {
    const id = `sub-${this.nextId++}`;
    this.subscriptions[id] = onMessage;
    this.send("SUBSCRIBE", { id, destination, ack: "auto" });
    return id;
  }

  publish(destination, body) {
    this.send("SEND", { destination, "content-type": "text/plain", "x-sent-at": Date.now() }, body);
  }

  disconnect(onReceipt) {
    this.send("DISCONNECT", { receipt: this.receipt(onReceipt) });
  }

  receipt(fn) {
    const id = `rcpt-${this.nextId++}`;
    this.receipts[id] = fn;
    return id;
  }

  send(command, headers, body) {
    this.transport.send(encodeFrame(command, headers, body));
  }

  receive(text) {
    if (/^[\r\n]*$/.test(text)) {
      return; // a heart-beat
    }
    const frame = decodeFrame(text);
    if (!frame) {
      this.onError(`not a STOMP frame: ${JSON.stringify(text)}`);
      return;
    }
    const h = frame.headers;
    switch (frame.command) {
      case "CONNECTED":
        this.onConnected(h);
        break;
      case "MESSAGE":
        if (h["x-sent-at"]) {
          deliveryLatency.add(Date.now() - Number(h["x-sent-at"]));
        }
        (this.subscriptions[h.subscription] || (() => this.onError(`no subscription ${h.subscription}`)))(frame);
        break;
      case "RECEIPT": {
        const fn = this.receipts[h["receipt-id"]];
        delete this.receipts[h["receipt-id"]];
        if (fn) {
          fn();
        }
        break;
      }
      case "ERROR":
        this.onError(`${h.message}: ${frame.body}`);
        break;
      default:
        this.onError(`unexpected ${frame.command} frame`);
    }
  }
}

// EchoLoopback is the simulated broker described at the top.
class EchoLoopback {
  constructor(ws) {
    this.ws = ws;
    this.senders = []; // who sent each frame in flight: "client" or "broker"
    this.client = null;
    this.subscriptions = []; // {id, destination}
    this.messageId = 0;
  }

  // send is the client's transport.
  send(frame) {
    this.senders.push("client");
    this.ws.send(frame);
  }

  brokerSend(command, headers, body) {
    this.senders.push("broker");
    this.ws.send(encodeFrame(command, headers, body));
  }

  echoed(text) {
    if (this.senders.shift() === "broker") {
      this.client.receive(text);
    } else {
      this.answer(decodeFrame(text));
    }
  }

  // answer does what a broker does with a client frame.
  answer(frame) {
    const h = frame.headers;
    switch (frame.command) {
      case "CONNECT":
        this.brokerSend("CONNECTED", { version: "1.2", "heart-beat": "0,0", session: `s-${__VU}-${__ITER}` });
        return;
      case "SUBSCRIBE":
        this.subscriptions.push({ id: h.id, destination: h.destination });
        break;
      case "SEND":
        for (const sub of this.subscriptions.filter((s) => s.destination === h.destination)) {
          this.brokerSend("MESSAGE", {
            subscription: sub.id,
            "message-id": `m-${this.messageId++}`,
            destination: h.destination,
            "content-type": h["content-type"],
            "x-sent-at": h["x-sent-at"],
          }, frame.body);
        }
        break;
      case "DISCONNECT":
        break;
      default:
        this.brokerSend("ERROR", { message: `unknown command ${frame.command}` });
        return;
    }
    if (h.receipt) {
      this.brokerSend("RECEIPT", { "receipt-id": h.receipt });
    }
  }
}

export default async function () {
  const ws = brokerURL
    ? new WebSocket(brokerURL, "v12.stomp", { tags: { protocol: "stomp" } })
    : new WebSocket(`${base}/echo`, null, { tags: { protocol: "stomp" } });
  // Against a broker, the client sends straight on the socket; against
  // /echo, through the simulated broker.
  const loopback = brokerURL ? null : new EchoLoopback(ws);
  const stomp = new StompClient(loopback || { send: (frame) => ws.send(frame) });
  if (loopback) {
    loopback.client = stomp;
  }
  const result = { session: null, bodies: [], errors: [], disconnected: false };
  const destination = `/topic/prices.vu${__VU}`;

  stomp.onError = (e) => result.errors.push(e);
  stomp.onConnected = (headers) => {
    result.session = headers;
    stomp.subscribe(destination, (msg) => {
      result.bodies.push(msg.body);
      if (result.bodies.length === published) {
        stomp.disconnect(() => {
          result.disconnected = true;
          ws.close();
        });
      }
    });
    // Publish, 100 ms apart, on the destination just subscribed to.
    let n = 0;
    const timer = setInterval(() => {
      stomp.publish(destination, `price ${n}: 42.${n}`);
      if (++n === published) {
        clearInterval(timer);
      }
    }, 100);
  };

  ws.onopen = () =>
    stomp.connect(__ENV.STOMP_HOST || "/", __ENV.STOMP_LOGIN || "guest", __ENV.STOMP_PASSCODE || "guest");
  ws.onmessage = (event) => (loopback ? loopback.echoed(event.data) : stomp.receive(event.data));
  ws.onerror = (event) => console.error(`websocket error: ${event.error}`);
  const guard = setTimeout(() => ws.close(), 5000); // never wait forever

  await new Promise((resolve) => (ws.onclose = resolve));
  clearTimeout(guard);
  check(result, {
    "stomp: CONNECTED with version 1.2": (r) => r.session && r.session.version === "1.2",
    "stomp: every published message was delivered, in order": (r) =>
      JSON.stringify(r.bodies) === JSON.stringify([...Array(published).keys()].map((n) => `price ${n}: 42.${n}`)),
    "stomp: DISCONNECT got its receipt": (r) => r.disconnected,
    "stomp: no ERROR frame": (r) => r.errors.length === 0,
  });
}
