// usage.ts is type-checked against ../index.d.ts (cd types && npm ci &&
// npx tsc -p .): it uses every declaration the way scripts do, and must
// compile. misuse.ts holds what the definitions must reject.
import ws, { connect, Params, Response, Socket, SocketError } from "k6/x/ws";
import websockets, {
  Blob,
  BlobStreamReadResult,
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  Params as WebSocketParams,
  WebSocket,
  WebSocketEvent,
} from "k6/x/websockets";
import {
  WebSocketCloseInfo,
  WebSocketError,
  WebSocketStream,
  WebSocketStreamOptions,
  WebSocketStreamReadResult,
} from "k6/x/websockets";
import { WebSocketStream as StockWebSocketStream } from "k6/websockets";
import stockWs from "k6/ws";
import { WebSocket as StockWebSocket } from "k6/websockets";
import { Blob as ExperimentalBlob } from "k6/experimental/websockets";
import http from "k6/http";
import { check } from "k6";

const base: string = __ENV.WS_URL || "ws://127.0.0.1:8080";

// ---- k6/x/ws --------------------------------------------------------------

const params: Params = {
  headers: { Authorization: "Bearer token", "X-Retry": 1 },
  tags: { flow: "login" },
  jar: http.cookieJar(),
  compression: "deflate",
  subprotocols: ["chat.v2", "chat.v1"],
  handshakeTimeout: "5s",
  closeTimeout: 2000,
  maxMessageSize: 1 << 20,
  correlate: { request: { json: "params.id" }, reply: { regex: "^43(\\d+)" }, timeout: "5s", name: "rpc", maxOpen: 100 },
  autoReply: [{ receive: "2", send: "3" }],
};

export function socketApi(): void {
  const res: Response = ws.connect(`${base}/echo`, params, (socket: Socket) => {
    socket.on("open", () => {
      socket.send("hello");
      socket.sendBinary(new Uint8Array([1, 2, 3]).buffer);
      socket.sendBinary(new DataView(new ArrayBuffer(4)));
      socket.ping();
    });
    socket.on("message", (data: string) => console.log(data.length));
    socket.on("binaryMessage", (data: ArrayBuffer) => console.log(data.byteLength));
    socket.on("ping", () => {});
    socket.on("pong", () => {});
    socket.on("error", (e: SocketError) => console.error(e.error()));
    socket.on("close", (code: number, reason: string) => console.log(code, reason));
    socket.setTimeout(() => socket.close(1000, "done"), 500);
    socket.setInterval(() => socket.ping(), 100);
  });
  const status: number = res.status;
  const errorCode: number = res.error_code;
  const fields: string[] = [res.url, res.body, res.error, res.headers["Sec-Websocket-Protocol"]];
  check(res, { "status is 101": (r) => r.status === 101 });
  console.log(status, errorCode, fields);

  connect(`${base}/echo`, (socket) => socket.close());
  connect(`${base}/echo`, null, (socket) => socket.close());
  stockWs.connect(`${base}/echo`, {}, (socket) => socket.close());

}

// ---- k6/x/websockets ------------------------------------------------------

const classParams: WebSocketParams = {
  headers: { Authorization: "Bearer token" },
  tags: { name: "chat" },
  jar: new http.CookieJar(),
  compression: "deflate",
  handshakeTimeout: 5000,
  closeTimeout: "1s",
  maxMessageSize: 1024,
  correlate: { fifo: true, timeout: 500 },
};

export async function webSocketClass(): Promise<void> {
  const socket = new WebSocket(`${base}/echo`, ["chat.v1"], classParams);
  const other = new websockets.WebSocket(`${base}/echo`, "chat.v1");
  const third = new StockWebSocket(`${base}/echo`, null, null);
  console.log(other.url, third.protocol);

  const state: 0 | 1 | 2 | 3 = socket.readyState;
  const constants: number[] = [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED];
  const onInstance: number[] = [socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED];
  console.log(state, constants, onInstance, socket.bufferedAmount, socket.protocol, socket.extensions.join(", "));

  socket.binaryType = "arraybuffer";

  socket.onopen = (event: WebSocketEvent) => {
    console.log(event.type, event.timestamp, event.target.url);
    socket.send("text");
    socket.send(new ArrayBuffer(2));
    socket.send(new Uint16Array([1, 2]));
    socket.send(new Blob(["a", new Uint8Array([1])], { type: "text/plain", endings: "native" }));
    socket.ping();
  };
  socket.onmessage = (event: MessageEvent) => {
    const data: string | Blob | ArrayBuffer = event.data;
    console.log(data, event.origin);
  };
  socket.onerror = (event: ErrorEvent) => console.error(event.error, event.error_code ?? 0, event.status ?? 0);
  socket.onclose = function (this: WebSocket, event: CloseEvent) {
    const fields: [number, string, boolean] = [event.code, event.reason, event.wasClean];
    console.log(this.readyState, fields);
  };
  socket.onping = null;
  socket.onpong = () => {};

  const listener = (event: CloseEvent) => console.log(event.code);
  socket.addEventListener("close", listener);
  socket.removeEventListener("close", listener);
  socket.addEventListener("message", (event) => console.log(event.data));
  socket.addEventListener("pong", (event) => console.log(event.type));

  socket.close();
  socket.close(4000, "bye");

  // Blob
  const blob = new Blob(["head", new Uint8Array([1, 2]), new ArrayBuffer(1), new Blob([])]);
  const size: number = blob.size;
  const type: string = blob.type;
  const text: string = await blob.text();
  const buffer: ArrayBuffer = await blob.arrayBuffer();
  const bytes: Uint8Array = await blob.bytes();
  const part: Blob = blob.slice(-2, undefined, "application/octet-stream");
  const stream = part.stream();
  const locked: boolean = stream.locked;
  const reader = stream.getReader();
  const chunk: BlobStreamReadResult = await reader.read();
  await reader.cancel();
  reader.releaseLock();
  await stream.cancel();
  console.log(size, type, text, buffer, bytes, locked, chunk.done, chunk.value);
  console.log(new websockets.Blob(), new ExperimentalBlob(["x"]));
}

// ---- WebSocketStream ------------------------------------------------------

let kept: WebSocketStream | undefined;

export async function webSocketStream(): Promise<void> {
  const options: WebSocketStreamOptions = {
    protocols: ["chat.v2"],
    headers: { Authorization: "Bearer token" },
    tags: { flow: "stream" },
    handshakeTimeout: "5s",
  };
  const wss = kept ?? new WebSocketStream(`${base}/echo`, options);
  kept = wss;
  const url: string = wss.url;
  const { readable, writable, protocol, extensions } = await wss.opened;
  const reader = readable.getReader();
  const writer = writable.getWriter();
  await writer.ready;
  const room: number | null = writer.desiredSize;
  await writer.write("text");
  await writer.write(new Uint8Array([1, 2]));
  await writer.write(new Blob(["blob"]));
  const result: WebSocketStreamReadResult = await reader.read();
  if (typeof result.value === "string") {
    console.log(result.value.length);
  } else if (result.value !== undefined) {
    console.log(result.value.byteLength);
  }
  reader.releaseLock();
  writer.releaseLock();
  console.log(url, protocol, extensions, room, readable.locked, writable.locked, result.done);
  const info: WebSocketCloseInfo = { closeCode: 4000, reason: "done" };
  wss.close(info);
  try {
    const { closeCode, reason } = await wss.closed;
    console.log(closeCode, reason);
  } catch (err) {
    if (err instanceof WebSocketError) {
      const code: number | null = err.closeCode;
      console.log(code, err.reason, err.message, err.error_code, err.status);
    }
  }
  await readable.cancel(new WebSocketError("gone", { closeCode: 4001 }));
  await writable.abort();
  console.log(new StockWebSocketStream(`${base}/echo`).url, new websockets.WebSocketStream(`${base}/echo`).url);
  await writer.write(42); // sent as the text "42"
}
