// auth.js: authenticating the handshake with headers and cookies, with both
// APIs.
//
// Runs on stock k6 v1.8.1 too.
//
// WebSocket services usually authenticate the HTTP upgrade request: a bearer
// token in a header, or a session cookie. The echo server's /headers route
// answers with a JSON message of the request's headers and cookies, so the
// script can check what it sent; `?set-cookie=NAME=VALUE` makes it set a
// cookie in its 101 response, like a login that hands out a session.
// - Headers: the `headers` param (User-Agent comes from k6's userAgent option).
// - Cookies: by default the VU's cookie jar (`http.cookieJar()`, shared with
//   k6/http, so a cookie from an HTTP login is sent with the handshake), or
//   the jar given in the `jar` param. Cookies the handshake response sets are
//   stored in that jar. Cookie jars work on http(s) URLs: set cookies for the
//   http:// form of the ws:// address.
//
//   ./k6 x ws-echo &                      # the local target server
//   ./k6 run examples/auth.js
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import http from "k6/http";
import { check, sleep } from "k6";

const base = __ENV.WS_URL || "ws://127.0.0.1:8080";
const httpBase = base.replace(/^ws/, "http"); // ws:// → http://, wss:// → https://

export const options = {
  vus: 2,
  duration: __ENV.DURATION || "2s",
  userAgent: "xk6-ws-example/1.0",
  thresholds: { checks: ["rate==1"] },
};

// report connects to /headers with k6/ws and returns the server's report and
// the handshake response.
function report(path, params) {
  let seen = null;
  const res = ws.connect(`${base}${path}`, params, (socket) => {
    socket.on("message", (data) => {
      seen = JSON.parse(data);
      socket.close(1000);
    });
    socket.setTimeout(() => socket.close(), 5000); // never wait forever
  });
  return { res, seen: seen || { headers: {}, cookies: {} } };
}

export default async function () {
  const token = `token-vu${__VU}`;

  // 1. A bearer token and a custom header (k6/ws).
  const withHeaders = report("/headers", { headers: { Authorization: `Bearer ${token}`, "X-Client": "k6" } });
  check(withHeaders.seen, {
    "headers: the server got the bearer token": (s) => s.headers.Authorization === `Bearer ${token}`,
    "headers: and the custom header": (s) => s.headers["X-Client"] === "k6",
    "headers: User-Agent from the userAgent option": (s) => s.headers["User-Agent"] === "xk6-ws-example/1.0",
  });

  // 2. A cookie set in the VU's jar (as an HTTP login would) goes with the
  // handshake; a cookie the 101 response sets is stored in the jar.
  const jar = http.cookieJar();
  jar.set(httpBase, "session", `s-${__VU}`);
  const login = report("/headers?set-cookie=refresh=r-1", null);
  check(login, {
    "cookies: the VU's jar cookie was sent": (l) => l.seen.cookies.session === `s-${__VU}`,
    "cookies: the response set a cookie": (l) => /refresh=r-1/.test(l.res.headers["Set-Cookie"] || ""),
    "cookies: the jar stored it": () => (jar.cookiesForURL(httpBase).refresh || [])[0] === "r-1",
  });

  // 3. The WebSocket class: the next handshake sends both cookies, plus a
  // header. A jar of its own (`jar` param) keeps cookies apart from the VU's.
  const own = new http.CookieJar();
  own.set(httpBase, "tenant", "blue");
  const seen = await new Promise((resolve) => {
    const socket = new WebSocket(`${base}/headers`, null, { headers: { Authorization: `Bearer ${token}` } });
    let got = { headers: {}, cookies: {} };
    socket.onmessage = (event) => {
      got = JSON.parse(event.data);
      socket.close();
    };
    socket.onerror = (event) => console.error(`websocket error: ${event.error}`);
    socket.onclose = () => resolve(got);
  });
  check(seen, {
    "class: the bearer token was sent": (s) => s.headers.Authorization === `Bearer ${token}`,
    "class: both cookies of the VU's jar were sent": (s) =>
      s.cookies.session === `s-${__VU}` && s.cookies.refresh === "r-1",
  });
  const isolated = report("/headers", { jar: own });
  check(isolated.seen, {
    "jar param: only that jar's cookies are sent": (s) =>
      s.cookies.tenant === "blue" && s.cookies.session === undefined,
  });
  sleep(0.3); // think time
}
