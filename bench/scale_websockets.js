// scale, WebSocket class: BENCH_VUS VUs open BENCH_SOCKETS sockets each to
// /push, where the server sends BENCH_MESSAGES messages of BENCH_MSG_SIZE
// bytes, BENCH_INTERVAL_MS apart, to every socket. Each socket counts what it
// receives and closes after the last message. With BENCH_BASELINE=1 the VUs
// open nothing and only wait: the runner subtracts that run's peak RSS and CPU.
import { WebSocket } from 'k6/websockets';
import { baseURL, envFlag, envInt, errors, ms, openedAfter, record } from './lib.js';

const vus = envInt('BENCH_VUS', 15);
const count = envInt('BENCH_SOCKETS', 1000);
const messages = envInt('BENCH_MESSAGES', 30);
const intervalMs = envInt('BENCH_INTERVAL_MS', 1000);
const size = envInt('BENCH_MSG_SIZE', 16);
const baseline = envFlag('BENCH_BASELINE');
// giveUpMs bounds a VU's run: opening, every message, and a minute to spare.
const giveUpMs = messages * intervalMs + 60000;

export const options = {
  scenarios: {
    scale: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: ms(giveUpMs + 60000) },
  },
};

function holdAll(url) {
  const begin = Date.now();
  let settled = 0;
  let finished = false;
  let errorsLogged = 0;
  const results = [];
  const finish = () => {
    if (finished) {
      return;
    }
    finished = true;
    clearTimeout(giveUp);
    for (const r of results) {
      if (r.received === messages) {
        record(r.received, r.last - r.opened);
      } else {
        errors.add(1);
        if (r.socket.readyState !== WebSocket.CLOSED) {
          r.socket.close();
        }
      }
    }
  };
  const giveUp = setTimeout(finish, giveUpMs);
  for (let i = 0; i < count; i++) {
    const r = { socket: new WebSocket(url), received: 0, opened: 0, last: 0 };
    results.push(r);
    r.socket.onopen = () => {
      r.opened = Date.now();
      openedAfter.add(r.opened - begin);
    };
    r.socket.onmessage = () => {
      r.last = Date.now();
      if (++r.received === messages) {
        r.socket.close();
      }
    };
    r.socket.onerror = (e) => {
      // A void run should say why: the first few errors of each VU go to the log.
      if (++errorsLogged <= 3) {
        console.warn(`scale: socket ${i} of VU ${__VU}: ${e.error || e.message || e.type}`);
      }
    };
    r.socket.onclose = () => {
      if (++settled === count) {
        finish();
      }
    };
  }
}

export default function () {
  if (baseline) {
    setTimeout(() => {}, intervalMs);
    return;
  }
  holdAll(`${baseURL()}/push?count=${messages}&interval=${intervalMs}ms&size=${size}&binary=false`);
}
