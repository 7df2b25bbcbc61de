// misuse.ts is what the definitions (../index.d.ts) must reject: each line
// after a `@ts-expect-error` comment is a misuse, and tsc (`tsc -p .`)
// fails if any of them type-checks. usage.ts holds the uses that must
// compile.
import { connect, Params, Socket } from "k6/x/ws";
import {
  Blob,
  MessageEvent,
  Params as WebSocketParams,
  WebSocket,
  WebSocketStream,
} from "k6/x/websockets";

declare const base: string;
declare const params: Params;
declare const socket: Socket;
declare const webSocket: WebSocket;

// ---- k6/x/ws --------------------------------------------------------------

// @ts-expect-error unknown event name
socket.on("opened", () => {});
// @ts-expect-error a message handler gets a string, not an event
socket.on("message", (event: MessageEvent) => console.log(event.data));
// @ts-expect-error sendBinary takes binary data
socket.sendBinary("text");
// @ts-expect-error a duration is a string or a number
connect(`${base}/echo`, { handshakeTimeout: true }, () => {});
// @ts-expect-error the callback is required
connect(`${base}/echo`, params);

// ---- k6/x/websockets ------------------------------------------------------

// @ts-expect-error the WebSocket class takes subprotocols as its second argument
export const noSubprotocolsParam: WebSocketParams = { subprotocols: ["chat"] };
// @ts-expect-error binaryType is "blob" or "arraybuffer"
webSocket.binaryType = "text";
// @ts-expect-error unknown event type
webSocket.addEventListener("opened", () => {});
// @ts-expect-error a close listener gets a CloseEvent
webSocket.addEventListener("close", (event: MessageEvent) => console.log(event.data));
// @ts-expect-error send takes text or binary data
webSocket.send({ text: "hi" });
// @ts-expect-error readyState is read-only
webSocket.readyState = 3;
// @ts-expect-error endings is "transparent" or "native"
console.log(new Blob([], { endings: "unix" }));
// @ts-expect-error protocols are strings
console.log(new WebSocketStream(`${base}/echo`, { protocols: [1] }));
