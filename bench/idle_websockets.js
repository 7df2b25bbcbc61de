// idle, WebSocket class: one VU opens BENCH_SOCKETS sockets, holds them for
// BENCH_HOLD_MS once all are open, then closes them. With BENCH_BASELINE=1
// the VU opens nothing and only waits for BENCH_HOLD_MS: the runner subtracts
// that run's peak RSS.
import { WebSocket } from 'k6/websockets';
import { baseURL, envFlag, envInt, errors, ms, sockets } from './lib.js';

const count = envInt('BENCH_SOCKETS', 5000);
const holdMs = envInt('BENCH_HOLD_MS', 3000);
const openTimeoutMs = envInt('BENCH_OPEN_TIMEOUT_MS', 60000);
const baseline = envFlag('BENCH_BASELINE');

export const options = {
  scenarios: {
    idle: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: ms(openTimeoutMs + holdMs + 60000) },
  },
};

function holdAll(url) {
  const open = [];
  let settled = 0;
  let finished = false;
  const finish = () => {
    if (finished) {
      return;
    }
    finished = true;
    clearTimeout(giveUp);
    sockets.add(open.length);
    errors.add(count - open.length);
    for (const socket of open) {
      socket.close();
    }
  };
  const settle = () => {
    settled++;
    if (settled === count) {
      clearTimeout(giveUp);
      setTimeout(finish, holdMs);
    }
  };
  const giveUp = setTimeout(finish, openTimeoutMs);
  for (let i = 0; i < count; i++) {
    const socket = new WebSocket(url);
    let opened = false;
    socket.onopen = () => {
      opened = true;
      open.push(socket);
      settle();
    };
    socket.onclose = () => {
      if (!opened) {
        settle();
      }
    };
  }
}

export default function () {
  if (baseline) {
    setTimeout(() => {}, holdMs);
    return;
  }
  holdAll(`${baseURL()}/echo`);
}
