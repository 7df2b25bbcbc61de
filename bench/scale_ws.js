// scale, k6/ws: BENCH_VUS VUs open one socket each to /push, where the server
// sends BENCH_MESSAGES messages of BENCH_MSG_SIZE bytes, BENCH_INTERVAL_MS
// apart. Each socket counts what it receives and closes after the last
// message. With BENCH_BASELINE=1 the same VUs open nothing and only sleep: the
// runner subtracts that run's peak RSS and CPU.
import ws from 'k6/ws';
import { sleep } from 'k6';
import { baseURL, envFlag, envInt, errors, ms, openedAfter, record } from './lib.js';

const vus = envInt('BENCH_VUS', 2000);
const messages = envInt('BENCH_MESSAGES', 30);
const intervalMs = envInt('BENCH_INTERVAL_MS', 1000);
const size = envInt('BENCH_MSG_SIZE', 16);
const baseline = envFlag('BENCH_BASELINE');
const giveUpMs = messages * intervalMs + 60000;

export const options = {
  scenarios: {
    scale: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration: ms(giveUpMs + 60000) },
  },
};

export default function () {
  if (baseline) {
    sleep(intervalMs / 1000);
    return;
  }
  const begin = Date.now();
  let received = 0;
  let opened = 0;
  let last = 0;
  const res = ws.connect(`${baseURL()}/push?count=${messages}&interval=${intervalMs}ms&size=${size}&binary=false`, null, (socket) => {
    socket.on('open', () => {
      opened = Date.now();
      openedAfter.add(opened - begin);
      socket.setTimeout(() => socket.close(), giveUpMs);
    });
    socket.on('message', () => {
      last = Date.now();
      if (++received === messages) {
        socket.close();
      }
    });
  });
  if (received === messages) {
    record(received, last - opened);
  } else {
    errors.add(1);
    // A void run should say why.
    console.warn(`scale: VU ${__VU} got ${received} of ${messages} messages (status ${res && res.status}: ${res && res.error})`);
  }
}
