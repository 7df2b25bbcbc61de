// TypeScript definitions for xk6-ws: the k6/x/ws Socket API and the
// k6/x/websockets WebSocket class and Blob. The same modules answer to k6's
// own names (k6/ws, k6/websockets, k6/experimental/websockets), declared at
// the end of this file as aliases.
//
// Use: copy this file into your project (or reference it with
// `/// <reference path="path/to/index.d.ts" />`) and import the modules as in
// JavaScript. types/typings_test.go has tsc check, against the real modules,
// that every name declared here exists and that every name the modules
// expose is declared here; types/usage.ts must type-check against it and
// types/misuse.ts must not (see docs/development.md, "TypeScript").

declare module "k6/x/ws" {
  /** A duration: a string such as "500ms", "2s" or "1m30s", or a number of milliseconds. */
  export type Duration = string | number;

  /** A k6 cookie jar: `http.cookieJar()` or `new http.CookieJar()` from k6/http. */
  export interface CookieJar {
    /** The jar's cookies for an http(s) URL, name → values. */
    cookiesForURL(url: string): { [name: string]: string[] };
    /** Sets a cookie for an http(s) URL. */
    set(url: string, name: string, value: string, options?: object): void;
  }

  /** The optional second argument of `connect`. Unknown keys are ignored, as in k6. */
  export interface Params {
    /** Request headers of the opening handshake; User-Agent comes from k6's userAgent option. */
    headers?: { [name: string]: string | number | boolean };
    /** Tags added to every ws_* sample of the session. */
    tags?: { [name: string]: string | number | boolean };
    /** Cookie jar the handshake reads and stores cookies in; the VU's jar by default. */
    jar?: CookieJar;
    /** Asks for permessage-deflate compression (RFC 7692). */
    compression?: "deflate" | "";
    /** Subprotocols offered in Sec-WebSocket-Protocol; the server's pick is the `subproto` tag. */
    subprotocols?: string | string[];
    /** Bound on dial, TLS and HTTP upgrade; default 60s. On expiry `status` is 0. */
    handshakeTimeout?: Duration;
    /** How long close() waits for the peer's close frame; default 5s. */
    closeTimeout?: Duration;
    /** Largest message accepted, in bytes, after inflation (default 64 MiB); a larger one closes with 1009. */
    maxMessageSize?: number;
    /** Bytes send() may have waiting for the wire (default 256 MiB); past it send() waits for room. */
    writeQueueBytes?: number;
    /** Bytes of received messages waiting for the script (default 8 MiB); then reading pauses. */
    readQueueBytes?: number;
    /** Received messages waiting for the script (default 4096); then reading pauses. */
    readQueueMessages?: number;
    /** Matches replies with requests on the connection and times them at the wire: ws_req_duration, ws_req_failed. */
    correlate?: Correlate;
    /** Text messages the connection answers itself; they do not reach the script (counted as received and sent). */
    autoReply?: AutoReply[];
  }

  /** Where a text message's key is; give json or regex. */
  export interface CorrelateKey {
    /** A dotted path into a JSON message ("params.id"; a whole-number segment indexes an array): the string or number there. */
    json?: string;
    /** A Go (RE2) regular expression: the match of its first group. */
    regex?: string;
  }

  /** params.correlate: request and reply, or fifo. */
  export interface Correlate {
    /** The key of a sent message: one with a key opens a request. */
    request?: CorrelateKey;
    /** The key of a received message: one with an open request's key answers it. */
    reply?: CorrelateKey;
    /** Every data message sent is a request, answered by the next data message received. */
    fifo?: boolean;
    /** How long a request waits for its reply, from its write (default 10s); then ws_req_failed is true. */
    timeout?: Duration;
    /** The name tag of the requests' samples. */
    name?: string;
    /** Requests waiting for their reply at most (default 4096); sending one more fails. */
    maxOpen?: number;
  }

  /** One rule of params.autoReply. */
  export interface AutoReply {
    /** A text message equal to this is answered and not delivered. */
    receive: string;
    /** The text message sent in answer. */
    send: string;
  }

  /** What `connect` returns once the socket has closed (or the handshake failed). */
  export interface Response {
    /** The URL passed to connect. */
    url: string;
    /** HTTP status of the handshake: 101 on success, 0 when no response came. */
    status: number;
    /** Response headers, canonical names → values (repeated values joined with ", "). */
    headers: { [name: string]: string };
    /** Body of a refused handshake (its first 1,024 bytes); "" on success. */
    body: string;
    /** "" on success, otherwise why the handshake failed. */
    error: string;
    /**
     * 0 on success, otherwise the cause as a number from k6's table of error codes:
     * e.g. 1212 connection refused, 1050 handshake timeout, 1429 a 429 answer.
     */
    error_code: number;
  }

  /** The value `error` handlers get. */
  export interface SocketError {
    /** The error message. */
    error(): string;
  }

  /** Names of the events a Socket emits. */
  export type SocketEventName = "open" | "message" | "binaryMessage" | "ping" | "pong" | "error" | "close";

  /** The socket handed to the `connect` callback. Everything runs on the VU's goroutine. */
  export interface Socket {
    /** After the callback returned, once. */
    on(event: "open", handler: () => void): void;
    /** A text message arrived. */
    on(event: "message", handler: (data: string) => void): void;
    /** A binary message arrived. */
    on(event: "binaryMessage", handler: (data: ArrayBuffer) => void): void;
    /** The peer pinged (the pong is sent for you), or a pong arrived. */
    on(event: "ping" | "pong", handler: () => void): void;
    /** A network or protocol fault, or a close by the peer with a code other than 1000/1001. */
    on(event: "error", handler: (error: SocketError) => void): void;
    /** Last, exactly once: the close code and reason. */
    on(event: "close", handler: (code: number, reason: string) => void): void;
    /** Sends a text message; the value is converted to a string. */
    send(data: string): void;
    /** Sends a binary message: an ArrayBuffer or the bytes a typed array or DataView covers. */
    sendBinary(data: ArrayBuffer | ArrayBufferView): void;
    /** Sends a ping; its pong gives a ws_ping sample and a `pong` event. */
    ping(): void;
    /**
     * Starts the close handshake. `code` defaults to 1001; allowed: 1000-1003, 1007-1014,
     * 3000-4999. `reason`: at most 123 bytes of UTF-8.
     */
    close(code?: number, reason?: string): void;
    /** Runs `callback` once after `ms` milliseconds (> 0), unless the socket closed first. */
    setTimeout(callback: () => void, ms: number): void;
    /** Runs `callback` every `ms` milliseconds (> 0) until the socket closes. */
    setInterval(callback: () => void, ms: number): void;
  }

  /**
   * Opens a WebSocket to `url` (ws:// or wss://), runs `callback` with the socket, then the
   * socket's events and timers, and returns when the socket has closed. Throws in the init
   * context, for bad arguments and when a handler throws.
   */
  export function connect(url: string, callback: (socket: Socket) => void): Response;
  export function connect(url: string, params: Params | null | undefined, callback: (socket: Socket) => void): Response;

  /** The module's default export: `import ws from "k6/x/ws"`. */
  const ws: {
    connect: typeof connect;
  };
  export default ws;
}

declare module "k6/x/websockets" {
  import { AutoReply, Correlate } from "k6/x/ws";
  /** A duration: a string such as "500ms", "2s" or "1m30s", or a number of milliseconds. */
  export type Duration = string | number;

  /** A k6 cookie jar: `http.cookieJar()` or `new http.CookieJar()` from k6/http. */
  export interface CookieJar {
    /** The jar's cookies for an http(s) URL, name → values. */
    cookiesForURL(url: string): { [name: string]: string[] };
    /** Sets a cookie for an http(s) URL. */
    set(url: string, name: string, value: string, options?: object): void;
  }

  /** The third argument of the WebSocket constructor. An unknown key throws, as in k6. */
  export interface Params {
    /** Request headers of the opening handshake; User-Agent comes from k6's userAgent option. */
    headers?: { [name: string]: string | number | boolean };
    /** Tags added to every ws_* sample of the socket; a `name` tag replaces the url as name. */
    tags?: { [name: string]: string | number | boolean };
    /** Cookie jar the handshake reads and stores cookies in; the VU's jar by default. */
    jar?: CookieJar;
    /** Asks for permessage-deflate compression (RFC 7692). */
    compression?: "deflate" | "";
    /** Bound on dial, TLS and HTTP upgrade; default 60s. */
    handshakeTimeout?: Duration;
    /** How long close() waits for the peer's close frame before dropping the connection; default 5s. */
    closeTimeout?: Duration;
    /** Largest message accepted, in bytes, after inflation (default 64 MiB); a larger one closes with 1009. */
    maxMessageSize?: number;
    /** Bytes send() may have waiting for the wire (default 256 MiB); past it the socket fails (error, close 1006). */
    writeQueueBytes?: number;
    /** Bytes of received messages waiting for the script (default 8 MiB); then reading pauses. */
    readQueueBytes?: number;
    /** Received messages waiting for the script (default 4096); then reading pauses. */
    readQueueMessages?: number;
    /** Matches replies with requests on the connection and times them at the wire: ws_req_duration, ws_req_failed. */
    correlate?: Correlate;
    /** Text messages the connection answers itself; they do not reach the script (counted as received and sent). */
    autoReply?: AutoReply[];
  }

  export { AutoReply, Correlate, CorrelateKey } from "k6/x/ws";

  /** What binary messages arrive as. */
  export type BinaryType = "blob" | "arraybuffer";

  /** The readyState values. */
  export type ReadyState = 0 | 1 | 2 | 3;

  /** Names of the events a WebSocket dispatches. */
  export type WebSocketEventType = "open" | "message" | "error" | "close" | "ping" | "pong";

  /** Every event: open, ping and pong events have only these properties. */
  export interface WebSocketEvent {
    /** The event's type, such as "open". */
    readonly type: WebSocketEventType;
    /** The socket. */
    readonly target: WebSocket;
    /** When the frame was read, in milliseconds since the epoch (with fractions). */
    readonly timestamp: number;
  }

  /** A data message. */
  export interface MessageEvent extends WebSocketEvent {
    /** A string for text; a Blob or an ArrayBuffer (see binaryType) for binary. */
    readonly data: string | Blob | ArrayBuffer;
    /** The socket's URL. */
    readonly origin: string;
  }

  /** The connection failed (refused or timed-out handshake, drop, protocol error, ...). */
  export interface ErrorEvent extends WebSocketEvent {
    /** The error message. */
    readonly error: string;
    /** For a failed handshake: the cause as a number from k6's table of error codes. */
    readonly error_code?: number;
    /** For a failed handshake: the HTTP status the server answered, 0 when none came. */
    readonly status?: number;
  }

  /** Always the last event, exactly once. */
  export interface CloseEvent extends WebSocketEvent {
    /** The peer's close code, or 1006 when no close frame was received. */
    readonly code: number;
    /** The close reason. */
    readonly reason: string;
    /** Whether the close handshake completed. */
    readonly wasClean: boolean;
  }

  /** The event type → event object map of addEventListener. */
  export interface WebSocketEventMap {
    open: WebSocketEvent;
    message: MessageEvent;
    error: ErrorEvent;
    close: CloseEvent;
    ping: WebSocketEvent;
    pong: WebSocketEvent;
  }

  /** Data `send` accepts: text, or binary data. */
  export type MessageData = string | ArrayBuffer | ArrayBufferView | Blob;

  /**
   * The WHATWG WebSocket, plus ping() and ping/pong events. The constructor returns at once;
   * the iteration ends when every socket it opened has dispatched its `close` event.
   */
  export class WebSocket {
    /**
     * @param url an absolute ws:// or wss:// URL without fragment (else a SyntaxError).
     * @param protocols a subprotocol or a list of them, offered in Sec-WebSocket-Protocol.
     * @param params handshake and connection options.
     */
    constructor(url: string, protocols?: string | string[] | null, params?: Params | null);

    /** readyState: the handshake is in progress. */
    static readonly CONNECTING: 0;
    /** readyState: the connection is open. */
    static readonly OPEN: 1;
    /** readyState: close() was called or the close handshake started. */
    static readonly CLOSING: 2;
    /** readyState: the connection is closed, or could not be opened. */
    static readonly CLOSED: 3;

    /** readyState: the handshake is in progress. */
    readonly CONNECTING: 0;
    /** readyState: the connection is open. */
    readonly OPEN: 1;
    /** readyState: close() was called or the close handshake started. */
    readonly CLOSING: 2;
    /** readyState: the connection is closed, or could not be opened. */
    readonly CLOSED: 3;

    /** The URL, as parsed. */
    readonly url: string;
    /** CONNECTING → OPEN → CLOSING → CLOSED. */
    readonly readyState: ReadyState;
    /** Bytes send() queued that are not written to the network yet. */
    readonly bufferedAmount: number;
    /** The subprotocol the server picked; "" before open or when none. */
    readonly protocol: string;
    /** The Sec-WebSocket-Extensions values of the handshake response. */
    readonly extensions: string[];
    /** What binary messages arrive as: "blob" (default) or "arraybuffer"; other values are ignored. */
    binaryType: BinaryType;

    /** The open handler, or null. Setting anything but a function or null throws. */
    onopen: ((this: WebSocket, event: WebSocketEvent) => unknown) | null;
    /** The message handler, or null. */
    onmessage: ((this: WebSocket, event: MessageEvent) => unknown) | null;
    /** The error handler, or null. */
    onerror: ((this: WebSocket, event: ErrorEvent) => unknown) | null;
    /** The close handler, or null. */
    onclose: ((this: WebSocket, event: CloseEvent) => unknown) | null;
    /** The ping handler (the pong is sent for you), or null. */
    onping: ((this: WebSocket, event: WebSocketEvent) => unknown) | null;
    /** The pong handler, or null. */
    onpong: ((this: WebSocket, event: WebSocketEvent) => unknown) | null;

    /**
     * Sends a string as a text message, or binary data as a binary message. Throws an
     * InvalidStateError outside OPEN.
     */
    send(data: MessageData): void;
    /** Sends a ping; its pong gives a ws_ping sample and a `pong` event. Throws outside OPEN. */
    ping(): void;
    /**
     * Starts the close handshake. `code`: 1000 (default) or 3000-4999, `reason` at most 123
     * UTF-8 bytes. While CONNECTING it gives up the dial: `error`, then `close` with 1006.
     */
    close(code?: number, reason?: string): void;
    /** Adds a listener (once per function); an unknown type is ignored with a warning. */
    addEventListener<K extends WebSocketEventType>(
      type: K,
      listener: (this: WebSocket, event: WebSocketEventMap[K]) => unknown,
    ): void;
    /** Removes a listener; one removed during a dispatch is not called. */
    removeEventListener<K extends WebSocketEventType>(
      type: K,
      listener: (this: WebSocket, event: WebSocketEventMap[K]) => unknown,
    ): void;
  }

  /** A part of a Blob: strings are UTF-8 encoded; anything else is converted to a string. */
  export type BlobPart = string | ArrayBuffer | ArrayBufferView | Blob;

  /** The second argument of the Blob constructor. */
  export interface BlobOptions {
    /** MIME type, lower-cased (dropped if not printable ASCII). */
    type?: string;
    /** "native" turns \r\n and \r in string parts into \n. */
    endings?: "transparent" | "native";
  }

  /** One result of BlobStreamReader.read(). */
  export interface BlobStreamReadResult {
    /** The next chunk (at most 64 KiB); undefined once done. */
    value: Uint8Array | undefined;
    /** Whether the stream is over. */
    done: boolean;
  }

  /** The reader of a Blob's stream. */
  export interface BlobStreamReader {
    /** The next chunk. */
    read(): Promise<BlobStreamReadResult>;
    /** Drops what was not read yet. */
    cancel(): Promise<void>;
    /** Frees the stream for another reader. */
    releaseLock(): void;
  }

  /** The minimal ReadableStream of Blob.stream(). */
  export interface BlobStream {
    /** Whether a reader holds the stream. */
    readonly locked: boolean;
    /** Drops what was not read yet. */
    cancel(): Promise<void>;
    /** Locks the stream to a new reader; throws if it is already locked. */
    getReader(): BlobStreamReader;
  }

  /** The File API's Blob: immutable bytes with a MIME type. */
  export class Blob {
    /** @param parts an array (or any iterable) of parts, concatenated. */
    constructor(parts?: Iterable<BlobPart>, options?: BlobOptions);
    /** Size in bytes. */
    readonly size: number;
    /** MIME type, "" when none. */
    readonly type: string;
    /** The contents as UTF-8 text (invalid bytes become U+FFFD). */
    text(): Promise<string>;
    /** A copy of the contents. */
    arrayBuffer(): Promise<ArrayBuffer>;
    /** A copy of the contents. */
    bytes(): Promise<Uint8Array>;
    /** A new Blob of a range: negative bounds count from the end, bounds are clamped. */
    slice(start?: number, end?: number, contentType?: string): Blob;
    /** The contents as a stream of Uint8Array chunks. */
    stream(): BlobStream;
  }

  /** The second argument of the WebSocketStream constructor: protocols, and every param of the WebSocket class. */
  export interface WebSocketStreamOptions extends Params {
    /** Subprotocols to offer, in order of preference (an array: a lone string is a TypeError). */
    protocols?: string[];
  }

  /** What close() takes, and what a WebSocketError is made with. */
  export interface WebSocketCloseInfo {
    /** 1000 or 3000-4999; none sends a close frame without a code (1005 on the other side). */
    closeCode?: number;
    /** At most 123 bytes of UTF-8; a reason without a code closes with 1000. */
    reason?: string;
  }

  /** What WebSocketStream.opened resolves with; its keys come in this order. */
  export interface WebSocketOpenInfo {
    /** The messages received: strings for text, Uint8Array for binary. */
    readable: WebSocketStreamReadable;
    /** Where messages are sent. */
    writable: WebSocketStreamWritable;
    /** The subprotocol the server selected, "" if none. */
    protocol: string;
    /** The extensions the server selected, "" if none. */
    extensions: string;
  }

  /** What WebSocketStream.closed resolves with after a clean close. */
  export interface WebSocketClosedInfo {
    /** The peer's close code (1005 when its close frame had none). */
    closeCode: number;
    /** The peer's reason. */
    reason: string;
  }

  /** One result of WebSocketStreamReader.read(). */
  export interface WebSocketStreamReadResult {
    /** The message: a string for text, a Uint8Array for binary; undefined once done. */
    value: string | Uint8Array | undefined;
    /** Whether the stream is over (the connection closed cleanly). */
    done: boolean;
  }

  /** The reader of a WebSocketStream's readable. */
  export interface WebSocketStreamReader {
    /** The next message; rejects with a WebSocketError once the connection failed and every message was read. */
    read(): Promise<WebSocketStreamReadResult>;
    /** Frees the readable for another reader; reads still waiting reject. */
    releaseLock(): void;
    /** Drops the messages not read and closes the connection (with the code of a WebSocketError reason). */
    cancel(reason?: unknown): Promise<void>;
  }

  /** The readable of a WebSocketStream: a ReadableStream of messages (no for await: k6's engine lacks it). */
  export interface WebSocketStreamReadable {
    /** Whether a reader holds the stream. */
    readonly locked: boolean;
    /** Locks the stream to a new reader; throws if it is already locked. */
    getReader(): WebSocketStreamReader;
    /** Drops the messages not read and closes the connection. */
    cancel(reason?: unknown): Promise<void>;
  }

  /** The writer of a WebSocketStream's writable. */
  export interface WebSocketStreamWriter {
    /** Resolves when no write waits for room in the write queue; rejects once the stream is closing or closed. */
    readonly ready: Promise<void>;
    /** 1 minus the writes waiting for room; 0 while closing, null once closed. */
    readonly desiredSize: number | null;
    /**
     * Sends a message: an ArrayBuffer, a view or a Blob as binary, anything else converted to a
     * string and sent as text. Resolves once the message is in the connection's write queue
     * (writeQueueBytes, 1 MiB by default for a stream); rejects with an InvalidStateError once
     * the stream is closing or closed cleanly, with closed's WebSocketError after an abrupt close.
     */
    write(chunk: MessageData | { toString(): string } | null | undefined): Promise<void>;
    /** Closes the connection, without a code, after the writes before it. */
    close(): Promise<void>;
    /** Closes the connection (with the code of a WebSocketError reason). */
    abort(reason?: unknown): Promise<void>;
    /** Frees the writable for another writer. */
    releaseLock(): void;
  }

  /** The writable of a WebSocketStream: a WritableStream of messages. */
  export interface WebSocketStreamWritable {
    /** Whether a writer holds the stream. */
    readonly locked: boolean;
    /** Locks the stream to a new writer; throws if it is already locked. */
    getWriter(): WebSocketStreamWriter;
    /** Closes the connection without a code. */
    close(): Promise<void>;
    /** Closes the connection (with the code of a WebSocketError reason). */
    abort(reason?: unknown): Promise<void>;
  }

  /**
   * The promise- and streams-based WebSocket (WHATWG WebSocketStream). As timers do, an
   * operation the script started holds the iteration until it settles (opened, a read(), a
   * write(), close()), and closed holds it once the script waits on it; an open stream with
   * nothing pending holds nothing. It lives until it is closed, the peer closes, or the VU
   * stops: kept in module scope, it serves the next iterations of its VU.
   */
  export class WebSocketStream {
    /** @param url a ws:// or wss:// URL */
    constructor(url: string, options?: WebSocketStreamOptions);
    /** The URL. */
    readonly url: string;
    /** Resolves once the handshake succeeded; rejects with a WebSocketError if it failed. */
    readonly opened: Promise<WebSocketOpenInfo>;
    /**
     * Settles when the connection closes, whatever the readable still holds: resolves after a
     * clean close, rejects with a WebSocketError otherwise. Waiting on it (await, then, catch,
     * finally) holds the iteration until it settles.
     */
    readonly closed: Promise<WebSocketClosedInfo>;
    /** Starts the closing handshake, or gives up the connection while connecting. */
    close(closeInfo?: WebSocketCloseInfo): void;
  }

  /** The error of a WebSocketStream: its close code and reason. */
  export class WebSocketError extends Error {
    constructor(message?: string, init?: WebSocketCloseInfo);
    /** The close code, null when none was given. */
    readonly closeCode: number | null;
    /** The close reason. */
    readonly reason: string;
    /** For a failed handshake: the cause as a number from k6's table of error codes. */
    readonly error_code?: number;
    /** For a failed handshake: the HTTP status the server answered, 0 when none came. */
    readonly status?: number;
  }

  /** The module's default export: `import websockets from "k6/x/websockets"`. */
  const websockets: {
    WebSocket: typeof WebSocket;
    Blob: typeof Blob;
    WebSocketStream: typeof WebSocketStream;
    WebSocketError: typeof WebSocketError;
  };
  export default websockets;
}

// k6's own module names: the same modules.

declare module "k6/ws" {
  export * from "k6/x/ws";
  export { default } from "k6/x/ws";
}

declare module "k6/websockets" {
  export * from "k6/x/websockets";
  export { default } from "k6/x/websockets";
}

declare module "k6/experimental/websockets" {
  export * from "k6/x/websockets";
  export { default } from "k6/x/websockets";
}
